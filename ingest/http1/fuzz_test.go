package http1

import (
	"strings"
	"testing"
	"time"

	"github.com/spanlake/spanlake/reassembly"
)

// FuzzConnParser feeds arbitrary bytes as a connection. Encoding: byte 0
// picks a configuration (small limits so caps are reached), byte 1 bit 0
// marks a mid-stream pickup; then ops: the top two bits select client data,
// server data, client gap, server gap; the low six bits are a length-1.
func FuzzConnParser(f *testing.F) {
	for _, tc := range tableCases() {
		f.Add(encodeFuzz(0, tc.sc))
		f.Add(encodeFuzz(1, tc.sc))
	}
	for _, sc := range fuzzExtraScenarios {
		f.Add(encodeFuzz(0, sc))
		f.Add(encodeFuzz(1, sc))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 {
			return
		}
		cfg := fuzzConfigs[int(in[0])%len(fuzzConfigs)]
		cfg.EnsureDefaults()
		info := &reassembly.ConnInfo{ID: 1, Client: testClient, Server: testServer, HandshakeSeen: in[1]&1 == 0}
		// Every exchange is emitted exactly once; those with a request in
		// Depth order (only responses without request may be emitted
		// early, see orphan).
		lastDepth := 0
		emitted := map[int]bool{}
		check := func(ex *Exchange) {
			if emitted[ex.Depth] || ex.Depth < 1 {
				t.Fatalf("depth %d emitted twice", ex.Depth)
			}
			emitted[ex.Depth] = true
			if ex.Request != nil {
				if ex.Depth <= lastDepth {
					t.Fatalf("depth %d after %d", ex.Depth, lastDepth)
				}
				lastDepth = ex.Depth
			}
			if ex.Request != nil {
				checkMsg(t, &ex.Request.Message, cfg.RequestBodyLimit)
			}
			if ex.Response != nil {
				checkMsg(t, &ex.Response.Message, cfg.ResponseBodyLimit)
			}
		}
		p := NewConnParser(info, &cfg, check)
		ts := time.Unix(1, 0)
		for i := 2; i < len(in); {
			op := in[i]
			n := int(op&63) + 1
			i++
			ts = ts.Add(time.Millisecond)
			switch op >> 6 {
			case 0, 1:
				end := min(len(in), i+n)
				buf := append([]byte(nil), in[i:end]...)
				p.Data(reassembly.Direction(op>>6), buf, ts)
				clear(buf)
				i = end
			default:
				p.Gap(reassembly.Direction(op>>6&1), n, ts)
			}
			checkBounds(t, p)
		}
		p.Close(&reassembly.ConnRecord{Info: *info, CloseReason: "fin"})
		if len(emitted) != p.depth {
			t.Fatalf("%d exchanges emitted of %d", len(emitted), p.depth)
		}
	})
}

// fuzzExtraScenarios seed FuzzConnParser with paths the tables do not pin
// down: losses, limits and pickups around HTTP/0.9 requests, whose header
// block is optional and decided on the line after the request line.
var fuzzExtraScenarios = []scenario{
	{events: []event{cl("GET /a\r\n"), gapC(10), sv("raw")}},
	{events: []event{cl("GET /a\r\nHo"), gapC(3), cl("st: x\r\n\r\n"), sv("raw")}},
	{events: []event{cl("CCM_POST /a\r\nHo"), gapC(3), cl("st: x\r\n\r\n"), sv("raw")}},
	{events: []event{cl("CCM_POST /a\r\n"), sv("HTTP/1.1 200 OK\r\n\r\n"), cl("Host: x\r\n\r\n")}},
	{events: []event{cl("GET /a\r\n" + strings.Repeat("X", 100) + "\r\n"), sv("raw")}},
	{events: []event{cl("GET /a\r\nX-Long: " + strings.Repeat("v", 100) + "\r\n\r\n"), sv("raw")}},
	{midway: true, events: []event{cl("GET /a\r\nHost: x\r\n\r\n"), sv("HTTP/1.1 200 OK\r\n\r\n")}},
	{events: []event{sv("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc"), cl("POST /x\r\n"), sv("\r\n0\r\n\r\n")}},
	{events: []event{sv("HTTP/1.1 100 Continue\r\n\r\n"), cl("GET /\r\n"), sv("HTTP/1.1 200 OK\r\n\r\n")}},
	{events: []event{cl("GET /a\r\nGET /b\r\nFOO /c\r\nHost: x\r\n\r\n"), sv("raw"), gapS(5)}},
	{events: []event{cl("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /a\r\n"), sv("HTTP/1.1 400 No\r\nContent-Length: 0\r\n\r\nraw")}},
	// Oversized header blocks skipped to their end (half.oversized).
	{events: []event{cl("GET /a HTTP/1.1\r\nX: " + strings.Repeat("v", 300) + "\r\nY: 1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"), sv("HTTP/1.1 431 No\r\n\r\nHTTP/1.1 204 OK\r\n\r\n")}},
	{events: []event{cl("POST /a HTTP/1.1\r\nX: " + strings.Repeat("v", 300) + "\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n\r\n"), sv("HTTP/1.1 413 No\r\n\r\nHTTP/1.1 204 OK\r\n\r\n")}},
	{events: []event{cl("HEAD /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"), sv("HTTP/1.1 200 OK\r\nX: " + strings.Repeat("v", 300) + "\r\nX\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}},
	// Responses owed to requests dropped by pipeline_overflow.
	{events: []event{cl(strings.Repeat("GET /p HTTP/1.1\r\n\r\n", 6)), sv(strings.Repeat("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 5) + "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nx")}},
}

var fuzzConfigs = []Config{
	{},
	{RequestBodyLimit: 7, ResponseBodyLimit: 5, MaxHeaderBytes: 64, MaxHeaders: 3, MaxPipelineDepth: 2},
	{DisableRequestBodies: true, MaxHeaderBytes: 200, MaxPipelineDepth: 4},
}

func checkMsg(t *testing.T, m *Message, limit int) {
	t.Helper()
	if len(m.Body) > limit {
		t.Fatalf("body %d bytes over limit %d", len(m.Body), limit)
	}
	if m.BodyBytes > m.BodyWireBytes {
		t.Fatalf("BodyBytes %d > BodyWireBytes %d", m.BodyBytes, m.BodyWireBytes)
	}
	if m.Trailers > len(m.Headers) || m.Trailers < 0 {
		t.Fatalf("Trailers %d of %d headers", m.Trailers, len(m.Headers))
	}
	if m.BodyTruncated && int64(len(m.Body)) >= m.BodyBytes {
		t.Fatalf("BodyTruncated with %d of %d bytes", len(m.Body), m.BodyBytes)
	}
}

// checkBounds asserts every buffer of the parser stays capped.
func checkBounds(t *testing.T, p *ConnParser) {
	t.Helper()
	for i := range p.half {
		h := &p.half[i]
		if len(h.head) > max(p.cfg.MaxHeaderBytes, maxProbeLine) || len(h.line) > maxChunkLine ||
			len(h.holdBuf) > p.cfg.MaxHeaderBytes || len(h.carry) > 2*carryLen {
			t.Fatalf("half %d buffers: head %d line %d hold %d carry %d", i, len(h.head), len(h.line), len(h.holdBuf), len(h.carry))
		}
	}
	if len(p.wait) > p.cfg.MaxPipelineDepth || len(p.queue) > p.cfg.MaxPipelineDepth+maxQueueSlack+2 {
		t.Fatalf("wait %d queue %d", len(p.wait), len(p.queue))
	}
	if p.loose != nil && (!p.loose.loose || p.loose.ex.Request != nil) {
		t.Fatalf("loose exchange %d with a request", p.loose.ex.Depth)
	}
	if p.heldLen > 2*maxHeld {
		t.Fatalf("held %d bytes", p.heldLen)
	}
}

// encodeFuzz writes a scenario in the fuzz encoding.
func encodeFuzz(cfg byte, sc scenario) []byte {
	out := []byte{cfg, 0}
	if sc.midway {
		out[1] = 1
	}
	for _, ev := range sc.events {
		if ev.gap > 0 {
			for n := ev.gap; n > 0; n -= 64 {
				out = append(out, byte(2+ev.dir)<<6|byte(min(n, 64)-1))
			}
			continue
		}
		for d := ev.data; d != ""; {
			k := min(len(d), 64)
			out = append(out, byte(ev.dir)<<6|byte(k-1))
			out = append(out, d[:k]...)
			d = d[k:]
		}
	}
	return out
}
