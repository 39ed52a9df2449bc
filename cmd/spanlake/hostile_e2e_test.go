package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spanlake/spanlake/ingest/synth"
	"github.com/spanlake/spanlake/schema"
)

// End to end on the hostile captures of ingest/synth, shrunk a hundredfold:
// each case must be counted (anomaly codes, closure, gaps) in the run
// summary and the warehouse. Memory and time are measured by
// `spanlake-bench -hostile`, never asserted here.

const hostileTestScale = 0.01

// hostileSummary is the part of the --json run summary checked here.
type hostileSummary struct {
	Connections uint64 `json:"connections"`
	Exchanges   uint64 `json:"exchanges"`
	Gaps        uint64 `json:"gaps"`
	GapBytes    uint64 `json:"gap_bytes"`
	Anomalies   uint64 `json:"anomalies"`
}

// hostileWarehouse is what one ingest of a hostile capture gave.
type hostileWarehouse struct {
	sum    hostileSummary
	facts  []schema.FactHTTPExchange
	conns  []schema.FactTCPConnection
	bodies []schema.HTTPBody
}

// ingestHostile writes kind at hostileTestScale and ingests it with the
// extra flags.
func ingestHostile(t *testing.T, kind synth.HostileKind, flags ...string) hostileWarehouse {
	t.Helper()
	dir := t.TempDir()
	capture := filepath.Join(dir, string(kind)+".pcap")
	if _, err := synth.WriteHostile(capture, kind, hostileTestScale); err != nil {
		t.Fatal(err)
	}
	wh := filepath.Join(dir, "wh")
	args := append(append([]string{"ingest", "-w", wh, "--json", "--progress=false"}, flags...), capture)
	var w hostileWarehouse
	if err := json.Unmarshal([]byte(spanlake(t, exitOK, args...)), &w.sum); err != nil {
		t.Fatalf("--json summary: %v", err)
	}
	w.facts = readTable[schema.FactHTTPExchange](t, wh, "fact_http_exchange")
	w.conns = readTable[schema.FactTCPConnection](t, wh, "fact_tcp_connection")
	w.bodies = readTable[schema.HTTPBody](t, wh, "http_body")
	if uint64(len(w.facts)) != w.sum.Exchanges || uint64(len(w.conns)) != w.sum.Connections {
		t.Errorf("summary counts %d exchanges and %d connections, the warehouse has %d and %d",
			w.sum.Exchanges, w.sum.Connections, len(w.facts), len(w.conns))
	}
	return w
}

// anomalyRows counts the rows whose anomalies include code.
func anomalyRows[T any](rows []T, anomalies func(*T) []string, code string) int {
	n := 0
	for i := range rows {
		if slices.Contains(anomalies(&rows[i]), code) {
			n++
		}
	}
	return n
}

// exchangeAnomalies and connectionAnomalies select the anomaly lists for
// anomalyRows.
func exchangeAnomalies(r *schema.FactHTTPExchange) []string    { return r.Anomalies }
func connectionAnomalies(r *schema.FactTCPConnection) []string { return r.Anomalies }

// skipHostile skips the hostile end-to-end tests under -short.
func skipHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile captures: seconds each")
	}
}

// TestHostileSYNFlood: every unanswered SYN is a connection row in state
// S0, none is lost; with a flow table far smaller than the flood, the
// oldest are closed as "evicted"; the legitimate exchanges among the flood
// are all parsed.
func TestHostileSYNFlood(t *testing.T) {
	skipHostile(t)
	const limit = 1000
	n := int(synth.HostileCount(synth.SYNFlood, hostileTestScale))
	legit := n / synth.SYNFloodLegitEvery
	for _, flags := range [][]string{nil, {"--max-connections", strconv.Itoa(limit)}} {
		w := ingestHostile(t, synth.SYNFlood, flags...)
		states, reasons := map[string]int{}, map[string]int{}
		for _, c := range w.conns {
			states[c.ConnState]++
			if c.ConnState == "S0" {
				reasons[c.CloseReason]++
				if c.History != "S" || c.OrigPackets != 1 || c.RespPackets != 0 || c.HTTPExchanges != 0 {
					t.Fatalf("%v: flood connection %+v", flags, c)
				}
			}
		}
		if states["S0"] != n || states["SF"] != legit || len(w.conns) != n+legit {
			t.Errorf("%v: connection states %v, want %d S0 and %d SF", flags, states, n, legit)
		}
		if flags == nil && reasons["end_of_input"] != n {
			t.Errorf("default flow table: S0 close reasons %v, want all %d end_of_input", reasons, n)
		}
		// At most the flow table (connections and flows awaiting their
		// handshake together) is left at the end.
		if flags != nil && (reasons["evicted"] < n-limit || reasons["evicted"]+reasons["end_of_input"] != n) {
			t.Errorf("--max-connections %d: S0 close reasons %v, want at least %d evicted", limit, reasons, n-limit)
		}
		complete := 0
		for _, f := range w.facts {
			if f.StatusCode != 0 && f.RequestComplete && f.ResponseComplete && len(f.Anomalies) == 0 {
				complete++
			}
		}
		if complete != legit || len(w.facts) != legit || w.sum.Anomalies != 0 || w.sum.Gaps != 0 {
			t.Errorf("%v: %d of %d exchanges complete (want %d); summary %+v", flags, complete, len(w.facts), legit, w.sum)
		}
	}
}

// TestHostileSlowloris: connections that complete their handshake, send
// half a request and nothing more are each a connection row (S1) and an
// exchange whose request is cut (truncated, no response); beyond the flow
// table the least recently active of them are evicted. The legitimate
// keep-alive connections among them, idle between their requests while
// thousands of slow connections arrive, are never evicted (one row each,
// closed by FIN) and all their exchanges are complete.
func TestHostileSlowloris(t *testing.T) {
	skipHostile(t)
	const limit = 500
	n := int(synth.HostileCount(synth.Slowloris, hostileTestScale))
	legit := n/synth.SYNFloodLegitEvery + synth.SlowlorisKeepAlive // one at each connection's start
	for _, flags := range [][]string{nil, {"--max-connections", strconv.Itoa(limit)}} {
		w := ingestHostile(t, synth.Slowloris, flags...)
		states, reasons := map[string]int{}, map[string]int{}
		keepExchanges := 0
		for _, c := range w.conns {
			states[c.ConnState]++
			switch c.ConnState {
			case "S1":
				reasons[c.CloseReason]++
				if c.HTTPExchanges != 1 {
					t.Fatalf("%v: slow connection with %d exchanges: %+v", flags, c.HTTPExchanges, c)
				}
			case "SF":
				if c.CloseReason != "fin" {
					t.Errorf("%v: keep-alive connection closed %q", flags, c.CloseReason)
				}
				keepExchanges += int(c.HTTPExchanges)
			}
		}
		if states["S1"] != n || states["SF"] != synth.SlowlorisKeepAlive || len(w.conns) != n+synth.SlowlorisKeepAlive {
			t.Errorf("%v: connection states %v, want %d S1 and %d SF (a keep-alive connection split by an eviction shows as more)",
				flags, states, n, synth.SlowlorisKeepAlive)
		}
		if keepExchanges != legit {
			t.Errorf("%v: keep-alive connections carry %d exchanges, want %d", flags, keepExchanges, legit)
		}
		if flags != nil && (reasons["evicted"] < n-limit || reasons["evicted"]+reasons["end_of_input"] != n) {
			t.Errorf("--max-connections %d: S1 close reasons %v, want at least %d evicted", limit, reasons, n-limit)
		}
		complete, cut := 0, 0
		for _, f := range w.facts {
			switch {
			case strings.HasPrefix(f.RequestLine, "GET /slow/"):
				if f.RequestComplete || !f.ResponseMissing || !slices.Contains(f.Anomalies, "truncated") {
					t.Fatalf("%v: slow request %q: complete %v, response missing %v, anomalies %v", flags, f.RequestLine, f.RequestComplete, f.ResponseMissing, f.Anomalies)
				}
				cut++
			case f.StatusCode != 0 && f.RequestComplete && f.ResponseComplete && len(f.Anomalies) == 0:
				complete++
			default:
				t.Errorf("%v: %q status %d complete %v/%v anomalies %v", flags, f.RequestLine, f.StatusCode, f.RequestComplete, f.ResponseComplete, f.Anomalies)
			}
		}
		if cut != n || complete != legit || len(w.facts) != n+legit {
			t.Errorf("%v: %d cut requests (want %d), %d complete exchanges (want %d), %d in all", flags, cut, n, complete, legit, len(w.facts))
		}
	}
}

// TestHostileTinyOutOfOrder: a million-segment flood of 1-byte segments in
// reversed and shuffled windows is reassembled; each hole that never
// fills is one gap of one byte. Under a per-connection buffer cap far
// below the data held behind the never-filled hole, the cap forces gaps,
// recorded as buffer_overflow.
func TestHostileTinyOutOfOrder(t *testing.T) {
	skipHostile(t)
	n := int(synth.HostileCount(synth.TinyOutOfOrder, hostileTestScale))
	windows := (n + synth.TinyOOOWindow - 1) / synth.TinyOOOWindow
	holes := 1 // the one never acknowledged, then the capture losses
	for k := 4; k < windows*3/4; k += 8 {
		holes++
	}
	w := ingestHostile(t, synth.TinyOutOfOrder)
	if w.sum.Gaps != uint64(holes) || w.sum.GapBytes != uint64(holes) {
		t.Errorf("%d gaps of %d bytes, want %d of 1 byte", w.sum.Gaps, w.sum.GapBytes, holes)
	}
	if len(w.facts) != 1 || len(w.conns) != 1 {
		t.Fatalf("%d exchanges, %d connections", len(w.facts), len(w.conns))
	}
	f, c := w.facts[0], w.conns[0]
	if f.StatusCode != 413 || f.RequestBodyBytes != int64(n) || f.RequestGapBytes != int64(holes) || !slices.Contains(f.Anomalies, "body_gap") {
		t.Errorf("exchange: status %d, body %d bytes (%d lost), anomalies %v", f.StatusCode, f.RequestBodyBytes, f.RequestGapBytes, f.Anomalies)
	}
	if c.OutOfOrder < int64(n/2) || slices.Contains(c.Anomalies, "buffer_overflow") {
		t.Errorf("connection: %d out of order, anomalies %v", c.OutOfOrder, c.Anomalies)
	}

	// 4 KiB per direction: at most 64 segments held.
	w = ingestHostile(t, synth.TinyOutOfOrder, "--max-buffer-per-connection", "4096")
	if len(w.conns) != 1 || !slices.Contains(w.conns[0].Anomalies, "buffer_overflow") {
		t.Fatalf("connections %+v: no buffer_overflow", w.conns)
	}
	if w.sum.Gaps <= uint64(holes) || w.sum.GapBytes <= uint64(holes) || len(w.facts) == 0 {
		t.Errorf("forced gaps not counted: %+v", w.sum)
	}
	if anomalyRows(w.facts, exchangeAnomalies, "body_gap") == 0 {
		t.Error("no exchange records the body lost to forced gaps")
	}
}

// TestHostileNeverCloses: a connection that never closes carries all its
// exchanges, each complete, and is closed by the end of the input; the
// short connections beside it close normally.
func TestHostileNeverCloses(t *testing.T) {
	skipHostile(t)
	n := int(synth.HostileCount(synth.NeverCloses, hostileTestScale))
	short := n / synth.NeverClosesOtherEvery
	for _, flags := range [][]string{nil, {"--response-body-limit", "65536"}} {
		w := ingestHostile(t, synth.NeverCloses, flags...)
		var long []schema.FactTCPConnection
		closed := 0
		for _, c := range w.conns {
			switch {
			case c.CloseReason == "end_of_input":
				long = append(long, c)
			case c.CloseReason == "fin" && c.ConnState == "SF" && c.HTTPExchanges == 1:
				closed++
			}
		}
		if len(long) != 1 || long[0].HTTPExchanges != int64(n) || long[0].ConnState != "S1" || closed != short {
			t.Errorf("%v: connections closed by end of input %+v, %d of %d short ones closed", flags, long, closed, short)
		}
		complete := 0
		for _, f := range w.facts {
			if f.RequestComplete && f.ResponseComplete && !f.ResponseBodyTruncated && len(f.Anomalies) == 0 {
				complete++
			}
		}
		if complete != n+short || w.sum.Anomalies != 0 || w.sum.Gaps != 0 {
			t.Errorf("%v: %d of %d exchanges complete and clean; summary %+v", flags, complete, n+short, w.sum)
		}
	}
}

// TestHostileHugeContentLength: a 10 GB Content-Length whose body the
// capture cuts is one exchange, its request truncated, no response.
func TestHostileHugeContentLength(t *testing.T) {
	skipHostile(t)
	n := synth.HostileCount(synth.HugeContentLength, hostileTestScale)
	w := ingestHostile(t, synth.HugeContentLength)
	if len(w.facts) != 1 || len(w.conns) != 1 {
		t.Fatalf("%d exchanges, %d connections", len(w.facts), len(w.conns))
	}
	f := w.facts[0]
	if !f.ResponseMissing || f.RequestComplete || !f.RequestBodyTruncated || f.RequestBodyBytes != n || !slices.Contains(f.Anomalies, "truncated") {
		t.Errorf("exchange: response missing %v, request complete %v, body %d bytes (truncated %v), anomalies %v",
			f.ResponseMissing, f.RequestComplete, f.RequestBodyBytes, f.RequestBodyTruncated, f.Anomalies)
	}
	if c := w.conns[0]; c.CloseReason != "end_of_input" || c.OrigBytes < n {
		t.Errorf("connection closed by %q after %d client bytes", c.CloseReason, c.OrigBytes)
	}
	if len(w.bodies) != 1 || !w.bodies[0].Truncated || w.bodies[0].CapturedBytes != 64<<10 {
		t.Errorf("stored bodies %d; want one truncated at the 64 KiB request body limit", len(w.bodies))
	}
}

// TestHostileHeaderFlood: a request with 100,000 header lines records
// oversized_header (the 64 KiB byte cap is reached long before the 500
// header lines of too_many_headers), keeps exactly the header cap, is
// answered by the 431 that followed it, and the parser skips the rest of
// the block to its end: the next request is parsed and paired in place,
// without any anomaly.
func TestHostileHeaderFlood(t *testing.T) {
	skipHostile(t)
	conns := int(synth.HostileCount(synth.HeaderFlood, hostileTestScale))
	w := ingestHostile(t, synth.HeaderFlood)
	flood, after := 0, 0
	for _, f := range w.facts {
		switch {
		case strings.HasPrefix(f.RequestLine, "GET /flood/"):
			if f.TransDepth != 1 || f.StatusCode != 431 || f.RequestComplete || f.RequestHeaderBytes != 64<<10 || !slices.Contains(f.Anomalies, "oversized_header") {
				t.Errorf("flood exchange: depth %d, status %d, request complete %v, header %d bytes, anomalies %v",
					f.TransDepth, f.StatusCode, f.RequestComplete, f.RequestHeaderBytes, f.Anomalies)
			}
			flood++
		case f.RequestLine == "GET /after HTTP/1.1" && f.StatusCode == 200 && f.RequestComplete && f.ResponseComplete:
			if f.TransDepth != 2 || len(f.Anomalies) != 0 {
				t.Errorf("exchange after the flood: depth %d, anomalies %v", f.TransDepth, f.Anomalies)
			}
			after++
		}
	}
	if flood != conns || after != conns || len(w.facts) != 2*conns {
		t.Errorf("%d flood exchanges, %d found after the flood, %d in all; want %d, %d, %d", flood, after, len(w.facts), conns, conns, 2*conns)
	}
}

// TestHostileGzipBomb: a gzip body that expands to gigabytes stops at the
// decompression cap, recorded as decompression_limit on the exchange and
// in http_body; a response bomb is decoded (and capped) only when response
// bodies are kept.
func TestHostileGzipBomb(t *testing.T) {
	skipHostile(t)
	for _, tc := range []struct {
		kind  synth.HostileKind
		dir   string
		flags []string
	}{
		{synth.GzipBombRequest, "request", nil},
		{synth.GzipBombResponse, "", nil},
		{synth.GzipBombResponse, "response", []string{"--response-body-limit", "65536"}},
	} {
		w := ingestHostile(t, tc.kind, tc.flags...)
		if len(w.facts) != 1 || w.facts[0].StatusCode != 200 || !w.facts[0].RequestComplete || !w.facts[0].ResponseComplete {
			t.Fatalf("%s %v: exchanges %d", tc.kind, tc.flags, len(w.facts))
		}
		limited := 0
		for _, b := range w.bodies {
			if b.DecodeError == "decompression_limit" {
				if b.Direction != tc.dir || !b.Truncated || b.CapturedBytes != 64<<10 || int64(len(b.Body)) > 16<<20 {
					t.Errorf("%s %v: %s body: truncated %v, captured %d, stored %d bytes", tc.kind, tc.flags, b.Direction, b.Truncated, b.CapturedBytes, len(b.Body))
				}
				limited++
			}
		}
		capped := anomalyRows(w.facts, exchangeAnomalies, "decompression_limit")
		if want := min(1, len(tc.dir)); limited != want || capped != want {
			t.Errorf("%s %v: %d bodies and %d exchanges record decompression_limit, want %d", tc.kind, tc.flags, limited, capped, want)
		}
	}
}

// TestHostileDeepPipeline: requests pipelined deeper than the cap are
// emitted without response (pipeline_overflow), the rest pair up with
// their own responses; every response owed to a dropped request comes out
// as a response without request (with pipeline_overflow), none is lost.
func TestHostileDeepPipeline(t *testing.T) {
	skipHostile(t)
	n := int(synth.HostileCount(synth.DeepPipeline, hostileTestScale))
	const depth = 10
	for _, flags := range [][]string{nil, {"--max-pipeline-depth", strconv.Itoa(depth)}} {
		w := ingestHostile(t, synth.DeepPipeline, append([]string{"--response-body-limit", "64"}, flags...)...)
		overflow := n - depth
		if flags == nil {
			overflow = 0 // within the default depth
		}
		body := map[int64]string{}
		for _, b := range w.bodies {
			body[b.ExchangeID] = string(b.Body)
		}
		paired, noResponse, noRequest := 0, 0, 0
		for _, f := range w.facts {
			switch {
			case f.RequestMissing:
				if !slices.Contains(f.Anomalies, "response_without_request") || !slices.Contains(f.Anomalies, "pipeline_overflow") {
					t.Errorf("%v: response without request lacks the anomalies: %v", flags, f.Anomalies)
				}
				noRequest++
			case f.ResponseMissing:
				if !slices.Contains(f.Anomalies, "pipeline_overflow") || int(f.TransDepth) > overflow {
					t.Errorf("%v: %q without response: depth %d, anomalies %v", flags, f.RequestLine, f.TransDepth, f.Anomalies)
				}
				noResponse++
			default:
				// Request /pipe/N is answered "rN".
				want := "r" + strings.TrimSuffix(strings.TrimPrefix(f.RequestLine, "GET /pipe/"), " HTTP/1.1")
				if f.StatusCode != 200 || body[f.ExchangeID] != want || len(f.Anomalies) != 0 {
					t.Errorf("%v: %q paired with %d %q, anomalies %v", flags, f.RequestLine, f.StatusCode, body[f.ExchangeID], f.Anomalies)
				}
				paired++
			}
		}
		if paired != n-overflow || noResponse != overflow || len(w.facts) != n+noRequest {
			t.Errorf("%v: %d paired, %d without response, %d in all; want %d, %d, %d",
				flags, paired, noResponse, len(w.facts), n-overflow, overflow, n+noRequest)
		}
		if noRequest != overflow {
			t.Errorf("%v: %d of the %d owed responses emitted without request", flags, noRequest, overflow)
		}
		if connOverflow := anomalyRows(w.conns, connectionAnomalies, "pipeline_overflow"); connOverflow != 0 {
			t.Errorf("%v: %d connections record pipeline_overflow: nothing should be dropped", flags, connOverflow)
		}
	}
}
