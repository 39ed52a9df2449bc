package http1

import (
	"github.com/spanlake/spanlake/reassembly"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Raw-wire table: the calls of one connection → the exchanges, in the
// summary format of harness_test.go. One case per framing rule and per
// anomaly code.

const (
	reqA    = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"                     // hb=28
	reqB    = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"                     // hb=28
	reqC    = "GET /c HTTP/1.1\r\nHost: x\r\n\r\n"                     // hb=28
	rsp5    = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"      // hb=38 body 5
	rsp0    = "HTTP/1.1 204 No Content\r\n\r\n"                        // hb=27
	rsp404  = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!" // hb=45
	wantA5  = " req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C]"
	wantB5  = " req[GET /b HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C]"
	wantC5  = " req[GET /c HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C]"
	chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5;name=val\r\nhello\r\n" + "6\r\n world\r\n" + "0\r\nX-Sum: abc\r\nX-Two: 2\r\n\r\n"
)

type tableCase struct {
	name string
	sc   scenario
	want []string
	// check, when set, asserts what the summary does not show.
	check func(t *testing.T, exs []*Exchange, rec *reassembly.ConnRecord)
}

var respCapture = &Config{ResponseBodyLimit: 1 << 20}

func tableCases() []tableCase {
	return append([]tableCase{
		{name: "content-length keep-alive",
			sc:   scenario{events: []event{cl(reqA), sv(rsp5), cl(reqB), sv(rsp5)}},
			want: []string{"1" + wantA5, "2" + wantB5}},
		{name: "request body content-length",
			sc:   scenario{events: []event{cl("POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd"), sv(rsp0)}},
			want: []string{`1 req[POST /f HTTP/1.1 h=2 hb=48 bw=4 bb=4 C body="abcd"] rsp[204 HTTP/1.1 h=0 hb=27 bw=0 bb=0 C]`}},
		{name: "request body truncated at limit",
			sc:   scenario{cfg: &Config{RequestBodyLimit: 3}, events: []event{cl("POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd"), sv(rsp0)}},
			want: []string{`1 req[POST /f HTTP/1.1 h=2 hb=48 bw=4 bb=4 C body="abc" T] rsp[204 HTTP/1.1 h=0 hb=27 bw=0 bb=0 C]`}},
		{name: "chunked with extensions and trailers",
			sc: scenario{cfg: respCapture, events: []event{cl(reqA), sv(chunked), cl(reqB), sv(rsp5)}},
			// framing: "5;name=val\r\n"12 + 5+2 + "6\r\n"3 + 6+2 + "0\r\n"3 + trailers 12+10+2 = 57
			want: []string{`1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=3+2t hb=47 bw=57 bb=11 C body="hello world"]`,
				`2 req[GET /b HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C body="hello"]`},
			check: func(t *testing.T, exs []*Exchange, _ *reassembly.ConnRecord) {
				r := exs[0].Response
				want := []Header{{"Transfer-Encoding", "chunked"}, {"X-Sum", "abc"}, {"X-Two", "2"}}
				if !reflect.DeepEqual(r.Headers, want) {
					t.Errorf("headers = %q, want %q", r.Headers, want)
				}
				if _, ok := r.Get("X-Sum"); ok {
					t.Errorf("Get must not see trailers")
				}
			}},
		{name: "chunked request body",
			sc:   scenario{events: []event{cl("POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), sv(rsp0)}},
			want: []string{`1 req[POST /u HTTP/1.1 h=2 hb=57 bw=13 bb=3 C body="abc"] rsp[204 HTTP/1.1 h=0 hb=27 bw=0 bb=0 C]`}},
		{name: "close-delimited ends with FIN",
			sc:   scenario{events: []event{cl("GET / HTTP/1.0\r\n\r\n"), sv("HTTP/1.0 200 OK\r\n\r\nsome"), sv(" more")}},
			want: []string{"1 req[GET / HTTP/1.0 h=0 hb=18 bw=0 bb=0 C] rsp[200 HTTP/1.0 h=0 hb=19 bw=9 bb=9 C]"}},
		{name: "close-delimited cut by reset",
			sc:   scenario{closeBy: "rst", events: []event{cl("GET / HTTP/1.0\r\n\r\n"), sv("HTTP/1.0 200 OK\r\n\r\nsome")}},
			want: []string{"1 req[GET / HTTP/1.0 h=0 hb=18 bw=0 bb=0 C] rsp[200 HTTP/1.0 h=0 hb=19 bw=4 bb=4 I] [truncated]"}},
		{name: "HTTP/1.0 keep-alive",
			sc: scenario{events: []event{cl("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), sv("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi"),
				cl("GET /b HTTP/1.0\r\n\r\n"), sv("HTTP/1.0 200 OK\r\n\r\nbye")}},
			want: []string{"1 req[GET /a HTTP/1.0 h=1 hb=43 bw=0 bb=0 C] rsp[200 HTTP/1.0 h=2 hb=62 bw=2 bb=2 C]",
				"2 req[GET /b HTTP/1.0 h=0 hb=19 bw=0 bb=0 C] rsp[200 HTTP/1.0 h=0 hb=19 bw=3 bb=3 C]"}},
		{name: "pipelining depth 3",
			sc:   scenario{events: []event{cl(reqA + reqB), cl(reqC), sv(rsp5 + rsp5), sv(rsp5)}},
			want: []string{"1" + wantA5, "2" + wantB5 + " P", "3" + wantC5 + " P"}},
		{name: "expect 100-continue",
			sc: scenario{events: []event{cl("PUT /p HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"),
				sv("HTTP/1.1 100 Continue\r\n\r\n"), cl("xyz"), sv("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"), cl(reqA), sv(rsp5)}},
			// interim: 25 bytes
			want: []string{`1 req[PUT /p HTTP/1.1 h=3 hb=69 bw=3 bb=3 C body="xyz"] rsp[201 HTTP/1.1 i=100/25 h=1 hb=43 bw=0 bb=0 C]`, "2" + wantA5},
			check: func(t *testing.T, exs []*Exchange, _ *reassembly.ConnRecord) {
				q, r := exs[0].Request, exs[0].Response
				if !r.FirstByte.Equal(tsOf(1)) || !r.LastByte.Equal(tsOf(3)) || !q.LastByte.Equal(tsOf(2)) {
					t.Errorf("times: req last %v, rsp first %v last %v", q.LastByte, r.FirstByte, r.LastByte)
				}
			}},
		{name: "several interim responses",
			sc: scenario{events: []event{cl(reqA), sv("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"), sv(rsp5), cl(reqB), sv(rsp5)}},
			// interim: 27 + 57 bytes
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 i=103/84 h=1 hb=38 bw=5 bb=5 C]", "2" + wantB5}},
		{name: "gap in known-length request body",
			sc: scenario{events: []event{cl("POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab"), gapC(2), cl("ef" + reqB), sv(rsp0), sv(rsp5)}},
			want: []string{`1 req[POST /f HTTP/1.1 h=2 hb=48 bw=6 bb=6 g=2 C body="ab" T] rsp[204 HTTP/1.1 h=0 hb=27 bw=0 bb=0 C] [body_gap]`,
				"2" + wantB5 + " P"}},
		{name: "101 upgrade",
			sc: scenario{events: []event{cl("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
				sv("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi"), cl("\x81\x82abcdXY"), gapC(10), sv("GET / HTTP/1.1\r\n\r\n")}},
			want: []string{"1 req[GET /ws HTTP/1.1 h=3 hb=70 bw=0 bb=0 C] rsp[101 HTTP/1.1 h=2 hb=77 bw=0 bb=0 C] U18/22"}},
		{name: "CONNECT tunnel",
			sc: scenario{events: []event{cl("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01"),
				sv("HTTP/1.1 200 Connection established\r\n\r\n"), cl("\x16\x03\x01\x00"), sv("\x16\x03\x03")}},
			want: []string{"1 req[CONNECT example.com:443 HTTP/1.1 h=1 hb=59 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=0 hb=39 bw=0 bb=0 C] U7/3"}},
		{name: "CONNECT tunnel carrying HTTP, sent before the answer",
			sc: scenario{events: []event{cl("CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n\n" + reqA),
				sv("HTTP/1.1 200 Connection established\r\n\r\n\n"), sv(rsp5), cl(reqB), sv(rsp5)}},
			want: []string{"1 req[CONNECT example.com:80 HTTP/1.1 h=1 hb=57 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=0 hb=39 bw=0 bb=0 C] U0/0",
				"2" + wantA5, "3" + wantB5}},
		{name: "CONNECT tunnel carrying HTTP, method split over segments",
			sc: scenario{events: []event{cl("CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
				sv("HTTP/1.1 200 Connection established\r\n\r\n"), cl("\r\nGE"), cl(reqA[2:]), sv(rsp5)}},
			want: []string{"1 req[CONNECT example.com:80 HTTP/1.1 h=1 hb=57 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=0 hb=39 bw=0 bb=0 C] U0/0",
				"2" + wantA5}},
		{name: "CONNECT tunnel probe: no blank in the first 24 bytes",
			sc: scenario{events: []event{cl("CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
				sv("HTTP/1.1 200 Connection established\r\n\r\n"), cl("ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n\r\n")}},
			want: []string{"1 req[CONNECT example.com:80 HTTP/1.1 h=1 hb=57 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=0 hb=39 bw=0 bb=0 C] U41/0"}},
		{name: "CONNECT tunnel probe: unregistered method",
			sc: scenario{events: []event{cl("CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
				sv("HTTP/1.1 200 Connection established\r\n\r\n"), cl("HELO mail\r\n"), sv(rsp5)}},
			want: []string{"1 req[CONNECT example.com:80 HTTP/1.1 h=1 hb=57 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=0 hb=39 bw=0 bb=0 C] U11/43"}},
		{name: "CONNECT tunnel probe cut by a gap, then by the close",
			sc: scenario{events: []event{cl("CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
				sv("HTTP/1.1 200 Connection established\r\n\r\n"), cl("GE"), gapC(10), cl(reqA)}},
			want: []string{"1 req[CONNECT example.com:80 HTTP/1.1 h=1 hb=57 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=0 hb=39 bw=0 bb=0 C] U40/0"}},
		{name: "CONNECT tunnel probe undecided at the close",
			sc: scenario{events: []event{cl("CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n"),
				sv("HTTP/1.1 200 Connection established\r\n\r\n"), cl("GE")}},
			want: []string{"1 req[CONNECT example.com:80 HTTP/1.1 h=1 hb=57 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=0 hb=39 bw=0 bb=0 C] U2/0"}},
		{name: "CONNECT refused parses what follows",
			sc: scenario{events: []event{cl("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n" + reqA),
				sv("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"), sv(rsp5)}},
			want: []string{"1 req[CONNECT example.com:443 HTTP/1.1 h=1 hb=59 bw=0 bb=0 C] rsp[407 HTTP/1.1 h=1 hb=65 bw=0 bb=0 C]",
				"2" + wantA5}},
		{name: "HEAD with Content-Length",
			sc:   scenario{events: []event{cl("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n"), sv("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), cl(reqB), sv(rsp5)}},
			want: []string{"1 req[HEAD /a HTTP/1.1 h=1 hb=29 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=0 bb=0 C]", "2" + wantB5}},
		{name: "304 with Content-Length",
			sc:   scenario{events: []event{cl(reqA), sv("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"), cl(reqB), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[304 HTTP/1.1 h=1 hb=48 bw=0 bb=0 C]", "2" + wantB5}},
		{name: "204 then more",
			sc:   scenario{events: []event{cl(reqA), sv(rsp0), cl(reqB), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[204 HTTP/1.1 h=0 hb=27 bw=0 bb=0 C]", "2" + wantB5}},
		{name: "response without request",
			sc:   scenario{events: []event{sv(rsp404), cl(reqA), sv(rsp5)}},
			want: []string{"1 req[-] rsp[404 HTTP/1.1 h=1 hb=45 bw=3 bb=3 C] [response_without_request]", "2" + wantA5}},
		{name: "request without response",
			sc:   scenario{events: []event{cl(reqA), sv(rsp5), cl(reqB)}},
			want: []string{"1" + wantA5, "2 req[GET /b HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[-]"}},
		{name: "gap in body resumes exactly",
			sc: scenario{cfg: respCapture, events: []event{cl(reqA), sv("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), gapS(4), cl(reqB), sv("hij" + rsp5)}},
			want: []string{`1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=39 bw=10 bb=10 g=4 C body="abc" T] [body_gap]`,
				`2 req[GET /b HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C body="hello"] P`}},
		{name: "gap in request headers resyncs",
			sc: scenario{events: []event{cl("GET /a HTTP/1.1\r\nHo"), gapC(30), cl("ader: 1\r\n\r\n" + reqB), sv(rsp404), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=0 hb=19 bw=0 bb=0 g=30 I] rsp[404 HTTP/1.1 h=1 hb=45 bw=3 bb=3 C] [header_gap]",
				"2 req[GET /b HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [header_gap] P"}},
		{name: "response gap swallowing a whole response",
			sc: scenario{events: []event{cl(reqA), sv("HTTP/1.1 200 OK\r\nCont"), gapS(100), cl(reqB), gapS(43), cl(reqC), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=0 hb=21 bw=0 bb=0 g=100 I] [header_gap]",
				"2 req[GET /b HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[-] [header_gap]",
				"3" + wantC5 + " P"}},
		{name: "mid-stream pickup with swapped roles",
			sc: scenario{midway: true, events: []event{event{dir: c2s, data: rsp404}, event{dir: s2c, data: reqA}, event{dir: c2s, data: rsp5}}},
			want: []string{"1 req[-] rsp[404 HTTP/1.1 h=1 hb=45 bw=3 bb=3 C] [response_without_request]",
				"2" + wantA5},
			check: func(t *testing.T, exs []*Exchange, rec *reassembly.ConnRecord) {
				if exs[1].Client != testServer || exs[1].Server != testClient {
					t.Errorf("client %v server %v: roles not swapped", exs[1].Client, exs[1].Server)
				}
				if !slices.Contains(rec.Anomalies, AnomRolesSwapped) {
					t.Errorf("record anomalies %v", rec.Anomalies)
				}
			}},
		{name: "mid-stream pickup keeps roles",
			sc:   scenario{midway: true, events: []event{cl("llo\r\n"), cl(reqA), sv(rsp5)}},
			want: []string{"1" + wantA5 + " [non_http_data]"}},

		// Anomalies.
		{name: "bare_lf",
			sc:   scenario{events: []event{cl("GET /a HTTP/1.1\nHost: x\n\n"), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=25 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [bare_lf]"}},
		{name: "obs_fold",
			sc:   scenario{events: []event{cl("GET /a HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n  b\r\n\r\n"), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=2 hb=44 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [obs_fold]"},
			check: func(t *testing.T, exs []*Exchange, _ *reassembly.ConnRecord) {
				if v, _ := exs[0].Request.Get("x-long"); v != "a b" {
					t.Errorf("folded value %q", v)
				}
			}},
		{name: "space_before_colon",
			sc:   scenario{events: []event{cl("GET /a HTTP/1.1\r\nHost : x\r\n\r\n"), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=29 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [space_before_colon]"},
			check: func(t *testing.T, exs []*Exchange, _ *reassembly.ConnRecord) {
				if h := exs[0].Request.Headers[0]; h != (Header{"Host", "x"}) {
					t.Errorf("header %q", h)
				}
			}},
		{name: "missing_host",
			sc:   scenario{events: []event{cl("GET /a HTTP/1.1\r\n\r\n"), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=0 hb=19 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [missing_host]"}},
		{name: "cl_and_chunked",
			sc:   scenario{events: []event{cl(reqA), sv("HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"), cl(reqB), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=2 hb=67 bw=11 bb=1 C] [cl_and_chunked]", "2" + wantB5}},
		{name: "conflicting_content_length",
			sc:   scenario{events: []event{cl(reqA), sv("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"), cl(reqB), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=2 hb=57 bw=2 bb=2 C] [conflicting_content_length]", "2" + wantB5}},
		{name: "bad_content_length",
			sc:   scenario{events: []event{cl(reqA), sv("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nuntil close")}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=39 bw=11 bb=11 C] [bad_content_length]"}},
		{name: "bad_chunk_size",
			sc:   scenario{events: []event{cl(reqA), sv("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n"), cl(reqB), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=47 bw=4 bb=0 I] [bad_chunk_size]", "2" + wantB5}},
		{name: "lenient_chunk_size",
			// Blanks around the sizes and an empty line before one, as
			// browsers take them (HTTP Evader size-cr, size-\013, tab-size,
			// crlf-crlf-size, space-before-chunks).
			sc: scenario{cfg: respCapture, events: []event{cl(reqA), sv("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
				" 2\r\nab\r\n\t2\x0b\r\ncd\r\n\r\n\r\n2\r\r\nef\r\n0\r\n\r\n"), cl(reqB), sv(rsp5)}},
			want: []string{`1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=47 bw=34 bb=6 C body="abcdef"] [lenient_chunk_size]`,
				`2 req[GET /b HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C body="hello"]`}},
		{name: "transfer_encoding_http10",
			// RFC 9112 6.1: faulty framing, Content-Length included; the
			// body runs to the close (HTTP Evader chunked,http10).
			sc: scenario{cfg: respCapture, events: []event{cl("GET / HTTP/1.0\r\n\r\n"),
				sv("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nnot chunked")}},
			want: []string{`1 req[GET / HTTP/1.0 h=0 hb=18 bw=0 bb=0 C] rsp[200 HTTP/1.0 h=2 hb=66 bw=11 bb=11 C body="not chunked"] [cl_and_chunked transfer_encoding_http10]`}},
		{name: "transfer coding with parameters",
			sc:   scenario{events: []event{cl(reqA), sv("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;\r\n\r\n2\r\nab\r\n0\r\n\r\n"), cl(reqB), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=48 bw=12 bb=2 C]", "2" + wantB5}},
		{name: "oversized_header",
			sc:   scenario{cfg: &Config{MaxHeaderBytes: 40}, events: []event{cl(reqA), sv("HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 50) + "\r\nContent-Length: 5\r\n\r\nhello"), cl(reqB), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=0 hb=40 bw=0 bb=0 I] [oversized_header]", "2" + wantB5}},
		{name: "too_many_headers",
			sc:   scenario{cfg: &Config{MaxHeaders: 2}, events: []event{cl("GET /a HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=2 hb=46 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [too_many_headers]"},
			check: func(t *testing.T, exs []*Exchange, _ *reassembly.ConnRecord) {
				if n := exs[0].Request.DroppedHeaders; n != 2 {
					t.Errorf("DroppedHeaders = %d", n)
				}
			}},
		{name: "non_http_data",
			sc:   scenario{events: []event{cl("\x16\x03\x01\x00\xa5garbage\r\nmore\n" + reqA), sv(rsp5)}},
			want: []string{"1" + wantA5 + " [non_http_data]"}},
		{name: "unknown_method",
			sc:   scenario{events: []event{cl("FROB /a HTTP/1.1\r\nHost: x\r\n\r\n"), sv(rsp5)}},
			want: []string{"1 req[FROB /a HTTP/1.1 h=1 hb=29 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [unknown_method]"}},
		{name: "body_gap in chunk framing resyncs",
			sc: scenario{events: []event{cl(reqA), sv("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"), gapS(20), sv("\r\n0\r\n\r\n"), cl(reqB), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=47 bw=10 bb=5 g=20 I] [body_gap]",
				"2" + wantB5}},
		{name: "truncated",
			sc:   scenario{events: []event{cl(reqA), sv("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=39 bw=3 bb=3 I] [truncated]"}},
		{name: "pipeline_overflow",
			sc: scenario{cfg: &Config{MaxPipelineDepth: 2}, events: []event{cl(reqA + reqB + reqC), sv(rsp404 + rsp5 + rsp5)}},
			// The response owed to the dropped request does not wait for
			// the requests still waiting: it is emitted as soon as it ends.
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[-] [pipeline_overflow]",
				"4 req[-] rsp[404 HTTP/1.1 h=1 hb=45 bw=3 bb=3 C] [response_without_request pipeline_overflow]",
				"2" + wantB5 + " P", "3" + wantC5 + " P"}},
		{name: "http09",
			sc:   scenario{events: []event{cl("GET /old\r\n"), sv("<html>raw</html>")}},
			want: []string{"1 req[GET /old  h=0 hb=10 bw=0 bb=0 C] rsp[0  h=0 hb=0 bw=16 bb=16 C] [http09]"}},
	}, requestLineCases()...)
}

// requestLineCases are the lenient request lines, one case per leniency
// (Zeek's http.log is the reference: methods.pcap, http_09.pcap,
// no-uri.pcap, http-09-content-length-confusion.pcap of the public
// corpus): raw bytes in, method/target/version, status, bodies and
// anomaly codes out. They are part of tableCases, so they also run split
// at every byte (TestIncremental) and seed FuzzConnParser.
func requestLineCases() []tableCase {
	return []tableCase{
		{name: "missing_uri: method and version only",
			sc:   scenario{events: []event{cl("OPTIONS HTTP/1.1\r\nHost: x\r\n\r\n"), sv(rsp5)}},
			want: []string{"1 req[OPTIONS  HTTP/1.1 h=1 hb=29 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [missing_uri]"}},
		{name: "missing_uri: two spaces",
			sc:   scenario{events: []event{cl("GET  HTTP/1.1\r\nHost: x\r\n\r\n"), sv(rsp5)}},
			want: []string{"1 req[GET  HTTP/1.1 h=1 hb=26 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [missing_uri]"}},
		{name: "bad_version: truncated",
			sc:   scenario{events: []event{cl("GET / HTTP/1.\r\nHost: x\r\n\r\n"), sv(rsp5)}},
			want: []string{"1 req[GET / HTTP/1. h=1 hb=26 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [bad_version]"}},
		{name: "bad_version: lower case",
			sc:   scenario{events: []event{cl("HEAD /a http/1.1\r\nHost: x\r\n\r\n"), sv("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")}},
			want: []string{"1 req[HEAD /a http/1.1 h=1 hb=29 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=0 bb=0 C] [bad_version]"}},
		{name: "bad_version: words after the version",
			sc:   scenario{events: []event{cl("GET /a b HTTP/1.0 extra words\r\n\r\n"), sv(rsp5)}},
			want: []string{"1 req[GET /a b HTTP/1.0 h=0 hb=33 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [bad_version]"}},
		{name: "bad_version: blank after the version",
			sc:   scenario{events: []event{cl("GET /a HTTP/1.1 \r\nHost: x\r\n\r\n"), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=29 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [bad_version]"}},
		{name: "bad_version and missing_uri",
			sc:   scenario{events: []event{cl("PUT HTTP/1\r\nContent-Length: 2\r\n\r\nab"), sv(rsp0)}},
			want: []string{`1 req[PUT  HTTP/1 h=1 hb=33 bw=2 bb=2 C body="ab"] rsp[204 HTTP/1.1 h=0 hb=27 bw=0 bb=0 C] [missing_uri bad_version]`}},
		{name: "http09 with bare LF",
			sc:   scenario{cfg: respCapture, events: []event{cl("GET /zeek.html\n"), sv("<html>\n</html>\n")}},
			want: []string{`1 req[GET /zeek.html  h=0 hb=15 bw=0 bb=0 C] rsp[0  h=0 hb=0 bw=15 bb=15 C body="<html>\n</html>\n"] [http09 bare_lf]`}},
		{name: "http09_method",
			sc:   scenario{cfg: respCapture, events: []event{cl("POST /zeek.html\n"), sv("bad method\n")}},
			want: []string{`1 req[POST /zeek.html  h=0 hb=16 bw=0 bb=0 C] rsp[0  h=0 hb=0 bw=11 bb=11 C body="bad method\n"] [http09 http09_method bare_lf]`}},
		{name: "http09_headers and http09_status_line: version without its space",
			sc: scenario{cfg: respCapture, events: []event{cl("GET /HTTP/1.1\r\nHost: x\r\n\r\n"),
				sv("HTTP/1.0 403 Forbidden\r\nContent-Length: 2\r\n\r\nno")}},
			want: []string{`1 req[GET /HTTP/1.1  h=1 hb=26 bw=0 bb=0 C] rsp[0  h=0 hb=0 bw=47 bb=47 C body="HTTP/1.0 403 Forbidden\r\nContent-Length: 2\r\n\r\nno"] [http09 http09_headers http09_status_line]`}},
		{name: "http09 reply keeps its line breaks",
			sc:   scenario{cfg: respCapture, events: []event{cl("GET /\r\n"), sv("\r\nHTTP"), sv(" is not a status line")}},
			want: []string{`1 req[GET /  h=0 hb=7 bw=0 bb=0 C] rsp[0  h=0 hb=0 bw=27 bb=27 C body="\r\nHTTP is not a status line"] [http09]`}},
		{name: "http09 empty header block",
			sc:   scenario{events: []event{cl("GET /\r\n"), cl("\r\n"), sv("raw")}},
			want: []string{"1 req[GET /  h=0 hb=9 bw=0 bb=0 C] rsp[0  h=0 hb=0 bw=3 bb=3 C] [http09]"}},
		{name: "http09 unregistered method proven by a header line",
			sc:   scenario{events: []event{cl("CCM_POST /HTTP/1.1\nHost: x\n\n"), sv("HTTP/1.0 400 Bad Request\r\n\r\n")}},
			want: []string{"1 req[CCM_POST /HTTP/1.1  h=1 hb=28 bw=0 bb=0 C] rsp[0  h=0 hb=0 bw=28 bb=28 C] [unknown_method http09 http09_method http09_headers bare_lf http09_status_line]"}},
		{name: "http09 unregistered method without header line is no request",
			sc:   scenario{events: []event{cl("CWD /pub\r\nPWD\r\n"), sv("250 ok\r\n")}},
			want: nil,
			check: func(t *testing.T, _ []*Exchange, rec *reassembly.ConnRecord) {
				if !slices.Contains(rec.Anomalies, AnomNonHTTPData) {
					t.Errorf("record anomalies %v", rec.Anomalies)
				}
			}},
		{name: "http09 unregistered method then empty line is no request",
			sc:   scenario{events: []event{cl("FOO /x\r\n\r\n" + reqA), sv(rsp5)}},
			want: []string{"1 req[GET /a HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[200 HTTP/1.1 h=1 hb=38 bw=5 bb=5 C] [non_http_data]"}},
		{name: "http09 short method is no request",
			sc:   scenario{events: []event{cl("T /zeek.html\n"), sv("bad method\n")}},
			want: nil},
		{name: "http09 followed by a request line",
			sc:   scenario{events: []event{cl("GET /a\r\n" + reqB), sv(rsp5)}},
			want: []string{"1 req[GET /a  h=0 hb=8 bw=0 bb=0 C] rsp[0  h=0 hb=0 bw=43 bb=43 C] [http09 http09_status_line]", "2 req[GET /b HTTP/1.1 h=1 hb=28 bw=0 bb=0 C] rsp[-] P"}},
		{name: "http09 registered method with blanks is no request",
			sc:   scenario{events: []event{cl("OPTIONS rtsp://cam/1 RTSP/1.0\r\nCSeq: 1\r\n\r\n"), sv("RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n")}},
			want: nil},
		{name: "http09 CONNECT is not a tunnel",
			sc:   scenario{events: []event{cl("CONNECT /HTTP/1.1\r\nHost: x\r\n\r\n"), sv("HTTP/1.1 200 OK\r\n\r\n"), cl("more")}},
			want: []string{"1 req[CONNECT /HTTP/1.1  h=1 hb=30 bw=0 bb=0 C] rsp[0  h=0 hb=0 bw=19 bb=19 C] [http09 http09_method http09_headers http09_status_line]"}},
		{name: "http09_cut: response without request cut by a 0.9 request",
			sc: scenario{cfg: respCapture, events: []event{sv("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"), cl("GET /\r\n"), cl("\r\n"),
				sv("this is too much.\r\n")}},
			want: []string{"1 req[-] rsp[200 HTTP/1.1 h=1 hb=38 bw=0 bb=0 I] [response_without_request http09_cut]", `2 req[GET /  h=0 hb=9 bw=0 bb=0 C] rsp[0  h=0 hb=0 bw=19 bb=19 C body="this is too much.\r\n"] [http09] P`}},
		{name: "http09 request then connection cut inside the next line",
			sc:   scenario{closeBy: "rst", events: []event{cl("GET /a\r\nHos"), sv("raw")}},
			want: []string{"1 req[GET /a  h=0 hb=8 bw=0 bb=0 C] rsp[0  h=0 hb=0 bw=3 bb=3 I] [http09 truncated]"}},
	}
}

func runTable(t *testing.T, tc tableCase, split splitter) []*Exchange {
	t.Helper()
	exs, rec := run(tc.sc, split)
	got := summaries(exs)
	if !slices.Equal(got, tc.want) {
		t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
		return exs
	}
	if tc.check != nil {
		tc.check(t, exs, rec)
	}
	return exs
}

func TestConnParserTable(t *testing.T) {
	for _, tc := range tableCases() {
		t.Run(tc.name, func(t *testing.T) { runTable(t, tc, whole) })
	}
}

// TestIncremental: the exchanges must not depend on how the bytes are cut.
func TestIncremental(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range tableCases() {
		t.Run(tc.name, func(t *testing.T) {
			ref, _ := run(tc.sc, whole)
			for i, split := range []splitter{byteWise, randomSplits(r), randomSplits(r), randomSplits(r)} {
				got, _ := run(tc.sc, split)
				if !reflect.DeepEqual(got, ref) {
					t.Errorf("split %d: got\n\t%s\nwant\n\t%s", i, strings.Join(summaries(got), "\n\t"), strings.Join(summaries(ref), "\n\t"))
				}
			}
		})
	}
}

// TestConnectTunnelEmitsAsItGoes: the exchanges of HTTP carried through a
// CONNECT tunnel are emitted as they end, the CONNECT exchange first, not
// held until the connection closes.
func TestConnectTunnelEmitsAsItGoes(t *testing.T) {
	info := &reassembly.ConnInfo{ID: 7, Client: testClient, Server: testServer, HandshakeSeen: true}
	var got []*Exchange
	p := NewConnParser(info, nil, func(ex *Exchange) { got = append(got, ex) })
	p.Data(c2s, []byte("CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n"), tsOf(0))
	p.Data(s2c, []byte("HTTP/1.1 200 Connection established\r\n\r\n"), tsOf(1))
	for i := range 3 {
		p.Data(c2s, []byte(reqA), tsOf(2+2*i))
		p.Data(s2c, []byte(rsp5), tsOf(3+2*i))
		if len(got) != 2+i {
			t.Fatalf("after exchange %d through the tunnel: %d emitted, want %d", i+1, len(got), 2+i)
		}
	}
	if got[0].Request.Method != "CONNECT" || !got[0].Upgraded || got[1].Depth != 2 || got[1].Upgraded {
		t.Fatalf("got %q", summaries(got))
	}
	p.Close(&reassembly.ConnRecord{Info: *info, CloseReason: "fin"})
	if len(got) != 4 {
		t.Fatalf("%d exchanges after close, want 4", len(got))
	}
}
