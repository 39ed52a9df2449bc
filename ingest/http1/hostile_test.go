package http1

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spanlake/spanlake/reassembly"
)

var hostileT0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func hostileParser(cfg *Config) (*ConnParser, *[]*Exchange) {
	var out []*Exchange
	info := &reassembly.ConnInfo{HandshakeSeen: true}
	return NewConnParser(info, cfg, func(e *Exchange) { out = append(out, e) }), &out
}

func hasAnomaly(e *Exchange, code string) bool {
	for _, a := range e.Anomalies {
		if a == code {
			return true
		}
	}
	return false
}

// TestHugeContentLength: a 10 GB body is skipped by count, never buffered.
func TestHugeContentLength(t *testing.T) {
	p, out := hostileParser(nil)
	p.Data(reassembly.ClientToServer, []byte("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000000\r\n\r\n"), hostileT0)
	chunk := make([]byte, 64<<10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for sent := 0; sent < 256<<20; sent += len(chunk) { // 256 MiB of the body
		p.Data(reassembly.ClientToServer, chunk, hostileT0)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 16<<20 {
		t.Errorf("heap grew by %d MiB while skipping a body", grown>>20)
	}
	p.Close(&reassembly.ConnRecord{})
	if len(*out) != 1 {
		t.Fatalf("%d exchanges", len(*out))
	}
	q := (*out)[0].Request
	if q.BodyWireBytes != 256<<20 || q.Complete || len(q.Body) > DefaultRequestBodyLimit {
		t.Errorf("body wire %d complete %v stored %d", q.BodyWireBytes, q.Complete, len(q.Body))
	}
}

// TestHundredThousandHeaders: header count and size are capped and counted.
func TestHundredThousandHeaders(t *testing.T) {
	p, out := hostileParser(nil)
	var b strings.Builder
	b.WriteString("GET / HTTP/1.1\r\nHost: a\r\n")
	for i := 0; i < 100_000; i++ {
		fmt.Fprintf(&b, "X-H-%d: v\r\n", i)
	}
	b.WriteString("\r\n")
	p.Data(reassembly.ClientToServer, []byte(b.String()), hostileT0)
	p.Data(reassembly.ServerToClient, []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), hostileT0)
	p.Close(&reassembly.ConnRecord{})
	if len(*out) == 0 {
		t.Fatal("no exchange")
	}
	e := (*out)[0]
	if !hasAnomaly(e, AnomOversizedHeader) && !hasAnomaly(e, AnomTooManyHeaders) {
		t.Errorf("anomalies %v: the header flood is not counted", e.Anomalies)
	}
	for _, x := range *out {
		if x.Request != nil && len(x.Request.Headers) > DefaultMaxHeaders {
			t.Errorf("%d headers kept, cap %d", len(x.Request.Headers), DefaultMaxHeaders)
		}
	}
}

// TestPipelineTenThousandDeep: requests waiting for responses are capped;
// the overflow is counted and nothing is paired wrongly.
func TestPipelineTenThousandDeep(t *testing.T) {
	p, out := hostileParser(nil)
	var b strings.Builder
	for i := 0; i < 10_000; i++ {
		fmt.Fprintf(&b, "GET /%d HTTP/1.1\r\nHost: a\r\n\r\n", i)
	}
	p.Data(reassembly.ClientToServer, []byte(b.String()), hostileT0)
	p.Close(&reassembly.ConnRecord{})
	if len(*out) != 10_000 {
		t.Fatalf("%d exchanges, want one per request", len(*out))
	}
	overflow := 0
	for i, e := range *out {
		if e.Response != nil {
			t.Fatalf("exchange %d has a response, none was sent", i)
		}
		if hasAnomaly(e, AnomPipelineOverflow) {
			overflow++
		}
		if want := fmt.Sprintf("/%d", i); e.Request == nil || e.Request.Target != want {
			t.Fatalf("exchange %d is not request %s", i, want)
		}
	}
	if overflow != 10_000-DefaultMaxPipelineDepth {
		t.Errorf("%d exchanges flagged pipeline_overflow, want %d", overflow, 10_000-DefaultMaxPipelineDepth)
	}
}
