package http1

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
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

// TestPipelineOverflowEveryResponseCounted: with depth D and N > D
// pipelined requests answered by N responses, the N-D oldest requests are
// emitted without response, the N-D responses owed to them are emitted
// without request (none is dropped), the D newest pair with their own
// responses, and what the parser retains stays within D plus the slack at
// every step.
func TestPipelineOverflowEveryResponseCounted(t *testing.T) {
	for _, tc := range []struct{ depth, n int }{{10, 1000}, {DefaultMaxPipelineDepth, 10_000}} {
		t.Run(fmt.Sprintf("depth %d of %d", tc.depth, tc.n), func(t *testing.T) {
			d, n := tc.depth, tc.n
			p, out := hostileParser(&Config{MaxPipelineDepth: d, ResponseBodyLimit: 16})
			bound := func(step string) {
				t.Helper()
				if len(p.queue) > d+maxQueueSlack || len(p.wait) > d {
					t.Fatalf("%s: queue %d, wait %d, depth %d", step, len(p.queue), len(p.wait), d)
				}
			}
			ts := hostileT0
			for i := 0; i < n; i++ {
				ts = ts.Add(time.Microsecond)
				p.Data(reassembly.ClientToServer, fmt.Appendf(nil, "GET /%d HTTP/1.1\r\nHost: a\r\n\r\n", i), ts)
				bound(fmt.Sprintf("request %d", i))
			}
			for i := 0; i < n; i++ {
				ts = ts.Add(time.Microsecond)
				body := fmt.Sprintf("r%d", i)
				p.Data(reassembly.ServerToClient, fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body), ts)
				bound(fmt.Sprintf("response %d", i))
			}
			p.Close(&reassembly.ConnRecord{})
			noResponse, noRequest, paired := 0, 0, 0
			depths := map[int]bool{}
			for _, e := range *out {
				if depths[e.Depth] {
					t.Fatalf("depth %d emitted twice", e.Depth)
				}
				depths[e.Depth] = true
				switch {
				case e.Response == nil:
					if want := fmt.Sprintf("/%d", noResponse); e.Request.Target != want || !hasAnomaly(e, AnomPipelineOverflow) || len(e.Anomalies) != 1 {
						t.Fatalf("without response: %s %v, want %s [pipeline_overflow]", e.Request.Target, e.Anomalies, want)
					}
					noResponse++
				case e.Request == nil:
					if want := fmt.Sprintf("r%d", noRequest); string(e.Response.Body) != want || len(e.Anomalies) != 2 ||
						!hasAnomaly(e, AnomResponseWithoutRequest) || !hasAnomaly(e, AnomPipelineOverflow) {
						t.Fatalf("without request: %q %v, want %s [response_without_request pipeline_overflow]", e.Response.Body, e.Anomalies, want)
					}
					noRequest++
				default:
					if want := "r" + e.Request.Target[1:]; string(e.Response.Body) != want || len(e.Anomalies) != 0 {
						t.Fatalf("%s paired with %q, anomalies %v", e.Request.Target, e.Response.Body, e.Anomalies)
					}
					paired++
				}
			}
			if noResponse != n-d || noRequest != n-d || paired != d || len(*out) != 2*n-d {
				t.Errorf("%d without response, %d without request, %d paired, %d in all; want %d, %d, %d, %d",
					noResponse, noRequest, paired, len(*out), n-d, n-d, d, 2*n-d)
			}
		})
	}
}

// TestPipelineOverflowLooseAtClose: a response owed to a dropped request is
// not queued; when the connection ends inside it (or after it upgraded the
// connection) Close still emits it, with the usual flags.
func TestPipelineOverflowLooseAtClose(t *testing.T) {
	reqs := "GET /0 HTTP/1.1\r\nHost: a\r\n\r\nGET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
	for _, tc := range []struct {
		name, rsp string
		check     func(*Exchange) bool
	}{
		{"truncated", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", func(e *Exchange) bool {
			return !e.Response.Complete && e.Response.BodyBytes == 3 && hasAnomaly(e, AnomTruncated)
		}},
		{"headers cut", "HTTP/1.1 200 OK\r\nContent-Le", func(e *Exchange) bool {
			return !e.Response.Complete && e.Response.Status == 200 && hasAnomaly(e, AnomTruncated)
		}},
		{"upgraded", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\ntunnel", func(e *Exchange) bool {
			return e.Upgraded && e.TunnelBytes[1] == 6
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, out := hostileParser(&Config{MaxPipelineDepth: 2})
			p.Data(reassembly.ClientToServer, []byte(reqs), hostileT0)
			p.Data(reassembly.ServerToClient, []byte(tc.rsp), hostileT0.Add(time.Millisecond))
			if p.loose == nil {
				t.Fatal("the owed response is not loose")
			}
			p.Close(&reassembly.ConnRecord{})
			var got []string
			for _, e := range *out {
				got = append(got, summary(e))
			}
			if len(*out) != 4 {
				t.Fatalf("%d exchanges:\n\t%s", len(*out), strings.Join(got, "\n\t"))
			}
			var orphan *Exchange
			for _, e := range *out {
				if e.Request == nil {
					orphan = e
				}
			}
			if orphan == nil || orphan.Depth != 4 || !hasAnomaly(orphan, AnomResponseWithoutRequest) ||
				!hasAnomaly(orphan, AnomPipelineOverflow) || !tc.check(orphan) {
				t.Errorf("exchanges:\n\t%s", strings.Join(got, "\n\t"))
			}
		})
	}
}

// floodRequest is a request line, a Host header and lines header lines of
// about 12 bytes each (the hostile header flood), then extra and the empty
// line.
func floodRequest(method, target string, lines int, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: a\r\n", method, target)
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&b, "X-H-%d: v\r\n", i)
	}
	b.WriteString(extra)
	b.WriteString("\r\n")
	return b.String()
}

// TestHeaderFloodKeepsPosition: an oversized header block is skipped to its
// end; when no framing header says a body follows, the parser knows where
// the next message starts, so the exchanges after it are not flagged. When
// one does (the body's length is then unknown), the side resynchronises and
// what is paired before it is realigned carries oversized_header.
func TestHeaderFloodKeepsPosition(t *testing.T) {
	const ok0 = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	big := strings.Repeat("X-Pad: 0123456789012345678901234567890123456789\r\n", 2000) // about 100 KB
	for _, tc := range []struct {
		name       string
		events     []event
		want1      []string // anomalies of the flooded exchange
		want2      []string // anomalies of the exchange after it
		req2, rsp2 bool     // the second exchange has a request / response
	}{
		{name: "request flood",
			events: []event{cl(floodRequest("GET", "/flood", 100_000, "")), sv("HTTP/1.1 431 Too Large\r\nContent-Length: 0\r\n\r\n"),
				cl("GET /after HTTP/1.1\r\nHost: a\r\n\r\n"), sv(ok0)},
			want1: []string{AnomOversizedHeader}, req2: true, rsp2: true},
		{name: "request flood, both requests before the responses",
			events: []event{cl(floodRequest("GET", "/flood", 100_000, "") + "GET /after HTTP/1.1\r\nHost: a\r\n\r\n"),
				sv("HTTP/1.1 431 Too Large\r\nContent-Length: 0\r\n\r\n" + ok0)},
			want1: []string{AnomOversizedHeader}, req2: true, rsp2: true},
		{name: "request flood with a Content-Length after the cap",
			events: []event{cl(floodRequest("POST", "/flood", 100_000, "Content-Length: 5\r\n") + "hello"),
				sv("HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n"),
				cl("GET /after HTTP/1.1\r\nHost: a\r\n\r\n"), sv(ok0)},
			want1: []string{AnomOversizedHeader}, want2: []string{AnomOversizedHeader}, req2: true, rsp2: true},
		{name: "request flood with a Content-Length before the cap",
			events: []event{cl(floodRequest("POST", "/flood", 0, "Content-Length: 5\r\n"+big) + "hello"),
				sv("HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n"),
				cl("GET /after HTTP/1.1\r\nHost: a\r\n\r\n"), sv(ok0)},
			want1: []string{AnomOversizedHeader}, want2: []string{AnomOversizedHeader}, req2: true, rsp2: true},
		{name: "bodiless response flood",
			events: []event{cl("GET /a HTTP/1.1\r\nHost: a\r\n\r\n"), sv("HTTP/1.1 204 No Content\r\n" + big + "\r\n"),
				cl("GET /after HTTP/1.1\r\nHost: a\r\n\r\n"), sv(ok0)},
			want1: []string{AnomOversizedHeader}, req2: true, rsp2: true},
		{name: "bodiless response flood refusing an upgrade",
			events: []event{cl("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n"),
				sv("HTTP/1.1 304 Not Modified\r\n" + big + "\r\n" + ok0)},
			want1: []string{AnomOversizedHeader}, req2: true, rsp2: true},
		{name: "oversized trailer",
			events: []event{cl("GET /a HTTP/1.1\r\nHost: a\r\n\r\n"), sv("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n" + big + "\r\n"),
				cl("GET /after HTTP/1.1\r\nHost: a\r\n\r\n"), sv(ok0)},
			want1: []string{AnomOversizedHeader}, req2: true, rsp2: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for si, split := range []splitter{whole, randomSplits(rand.New(rand.NewPCG(3, 4)))} {
				exs, _ := run(scenario{events: tc.events}, split)
				got := summaries(exs)
				if len(exs) != 2 {
					t.Fatalf("split %d: %d exchanges:\n\t%s", si, len(exs), strings.Join(got, "\n\t"))
				}
				e1, e2 := exs[0], exs[1]
				if !slices.Equal(e1.Anomalies, tc.want1) || !slices.Equal(e2.Anomalies, tc.want2) ||
					(e2.Request != nil) != tc.req2 || (e2.Response != nil) != tc.rsp2 {
					t.Errorf("split %d: got\n\t%s\nwant anomalies %v then %v", si, strings.Join(got, "\n\t"), tc.want1, tc.want2)
				}
				if e2.Request != nil && (e2.Request.Target != "/after" || !e2.Request.Complete) ||
					e2.Response != nil && (e2.Response.Status != 200 || !e2.Response.Complete) {
					t.Errorf("split %d: second exchange %s", si, got[1])
				}
			}
		})
	}
}

// TestTooManyShortHeaders: header lines short enough to stay under
// MaxHeaderBytes but more than MaxHeaders give too_many_headers (not
// oversized_header): the first MaxHeaders are kept, the others counted,
// and the message is complete. With lines of about 12 bytes the 64 KiB
// byte cap is reached after about 5,000 lines, so a 100,000-line flood
// gives oversized_header instead (TestHeaderFloodKeepsPosition).
func TestTooManyShortHeaders(t *testing.T) {
	const lines = 600 // + Host: 601 header lines, about 7 KB
	p, out := hostileParser(nil)
	p.Data(reassembly.ClientToServer, []byte(floodRequest("GET", "/many", lines, "")+"GET /after HTTP/1.1\r\nHost: a\r\n\r\n"), hostileT0)
	p.Data(reassembly.ServerToClient, []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), hostileT0)
	p.Close(&reassembly.ConnRecord{})
	if len(*out) != 2 {
		t.Fatalf("%d exchanges", len(*out))
	}
	e := (*out)[0]
	q := e.Request
	if !slices.Equal(e.Anomalies, []string{AnomTooManyHeaders}) || len(q.Headers) != DefaultMaxHeaders ||
		q.DroppedHeaders != lines+1-DefaultMaxHeaders || !q.Complete || e.Response == nil {
		t.Errorf("%s: %d headers kept, %d dropped", summary(e), len(q.Headers), q.DroppedHeaders)
	}
	if e := (*out)[1]; len(e.Anomalies) != 0 || e.Request == nil || e.Request.Target != "/after" || e.Response == nil {
		t.Errorf("after the many headers: %s", summary(e))
	}

	// A Content-Length among the dropped lines still delimits the body.
	p, out = hostileParser(nil)
	p.Data(reassembly.ClientToServer, []byte(floodRequest("POST", "/many", lines, "Content-Length: 5\r\n")+"helloGET /after HTTP/1.1\r\nHost: a\r\n\r\n"), hostileT0)
	p.Data(reassembly.ServerToClient, []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), hostileT0)
	p.Close(&reassembly.ConnRecord{})
	if len(*out) != 2 {
		t.Fatalf("with a dropped Content-Length: %d exchanges", len(*out))
	}
	if e := (*out)[0]; !slices.Equal(e.Anomalies, []string{AnomTooManyHeaders}) || e.Request.BodyBytes != 5 || !e.Request.Complete ||
		e.Request.DroppedHeaders != lines+2-DefaultMaxHeaders {
		t.Errorf("with a dropped Content-Length: %s", summary(e))
	}
	if e := (*out)[1]; len(e.Anomalies) != 0 || e.Request == nil || e.Request.Target != "/after" || e.Response == nil {
		t.Errorf("after the many headers with a dropped Content-Length: %s", summary(e))
	}
}
