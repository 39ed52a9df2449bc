package logs

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// hostile holds every byte class the escapers treat differently: quotes,
// backslash, CR, LF, TAB, VT, FF, BS, NUL, other controls, DEL, a lone
// 0xff, valid UTF-8 (é, U+2028) and a plain percent sign.
const hostile = "a\"b\\c\r\nd\te\vf\fg\bh\x00i\x01j\x1fk\x7fl\xffm é\u2028%20"

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func durationPtr(d time.Duration) *time.Duration { return &d }

// testRecords are the synthetic exchanges every format is rendered on.
func testRecords() []struct {
	name string
	rec  Record
} {
	basic := Record{
		ExchangeID: 42, ConnectionID: 7, TransDepth: 2,
		ClientIP: "192.0.2.10", ClientPort: 51234, ServerIP: "198.51.100.1", ServerPort: 80,
		HasRequest: true, RequestLine: "GET /shop/../index.html?a=1&b=two%20words HTTP/1.1", Method: "GET",
		URI: "/shop/../index.html?a=1&b=two%20words", Query: "a=1&b=two%20words", HasQuery: true, Version: "HTTP/1.1",
		Host: "WWW.Example.com:8080", HasHost: true, AuthUser: "alice", HasAuthUser: true,
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64)", HasUA: true, Referrer: "https://ref.example/p?q=1", HasReferrer: true,
		HasResponse: true, Status: 200, Reason: "OK", ResponseVersion: "HTTP/1.1", RequestComplete: true, ResponseComplete: true,
		RequestHeaderBytes: 180, RequestBodyWireBytes: 0, ResponseHeaderBytes: 250, ResponseBodyWireBytes: 1040, ResponseBodyBytes: 1024,
		RequestTS: ts("2026-11-24T13:00:00.123456Z"), RequestEndTS: ts("2026-11-24T13:00:00.123500Z"),
		ResponseTS: ts("2026-11-24T13:00:00.250000Z"), ResponseEndTS: ts("2026-11-24T13:00:01.734567Z"),
		TTFB: durationPtr(126500 * time.Microsecond), InterimStatus: 100, ResponseBodyTruncated: true,
		RequestHeaders: []Header{
			{"Host", "WWW.Example.com:8080"}, {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64)"},
			{"Referer", "https://ref.example/p?q=1"}, {"Accept", "text/html"}, {"Cookie", "session=abc123; theme=dark"},
			{"Cookie", "Theme=light"}, {"X-Request-Id", "r-1"}, {"X-Request-Id", "r-2"},
		},
		ResponseHeaders: []Header{
			{"Content-Type", "text/html; charset=utf-8"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"},
			{"Connection", "keep-alive"}, {"X-Dup", "one"}, {"X-Dup", "two"},
		},
	}
	noResponse := Record{
		ExchangeID: 43, ConnectionID: 8, TransDepth: 1,
		ClientIP: "192.0.2.11", ClientPort: 40000, ServerIP: "198.51.100.1", ServerPort: 80,
		HasRequest: true, RequestLine: "POST /upload HTTP/1.0", Method: "POST", URI: "/upload", Version: "HTTP/1.0",
		RequestHeaderBytes: 90, RequestBodyWireBytes: 5000, RequestBodyBytes: 5000,
		RequestTS: ts("2026-11-24T13:00:02Z"), RequestEndTS: ts("2026-11-24T13:00:02.5Z"),
		RequestGapBytes: 1460, RequestBodyTruncated: true, Anomalies: []string{"body_gap", "response_missing"},
	}
	evil := Record{
		ExchangeID: 44, ConnectionID: 9, TransDepth: 1,
		ClientIP: "192.0.2.12", ClientPort: 40001, ServerIP: "198.51.100.1", ServerPort: 80,
		HasRequest: true, RequestLine: "GET /" + hostile + " HTTP/1.1", Method: "GET", URI: "/" + hostile + "?x=" + hostile,
		Query: "x=" + hostile, HasQuery: true, Version: "HTTP/1.1",
		Host: "evil" + hostile + ".example", HasHost: true, AuthUser: hostile, HasAuthUser: true,
		UserAgent: hostile, HasUA: true, Referrer: hostile, HasReferrer: true,
		HasResponse: true, Status: 400, ResponseVersion: "HTTP/1.1", RequestComplete: true, ResponseComplete: true,
		RequestHeaderBytes: 300, ResponseHeaderBytes: 150, ResponseBodyWireBytes: 0,
		RequestTS: ts("2026-11-24T13:00:03Z"), ResponseEndTS: ts("2026-11-24T13:00:03.000999Z"),
		RequestHeaders:  []Header{{"Host", "evil" + hostile + ".example"}, {"User-Agent", hostile}, {"Referer", hostile}, {"Cookie", "s=" + hostile}, {"X-Evil", hostile}},
		ResponseHeaders: []Header{{"Connection", "close"}, {"Location", hostile}},
	}
	v6 := Record{
		ExchangeID: 45, ConnectionID: 10, TransDepth: 3, Pipelined: true,
		ClientIP: "fd99::2", ClientPort: 55000, ServerIP: "fd99::1", ServerPort: 8080,
		HasRequest: true, RequestLine: "GET /missing HTTP/1.1", Method: "GET", URI: "/missing", Version: "HTTP/1.1",
		Host: "[fd99::1]:8080", HasHost: true, XForwardedFor: "203.0.113.7, 10.1.2.3", HasXFF: true,
		HasResponse: true, Status: 404, Reason: "Not Found", ResponseVersion: "HTTP/1.1", RequestComplete: true, ResponseComplete: true,
		RequestHeaderBytes: 70, ResponseHeaderBytes: 120, ResponseBodyWireBytes: 5, ResponseBodyBytes: 0,
		RequestTS: ts("2026-11-24T23:59:59.999Z"), ResponseEndTS: ts("2026-11-25T00:00:00.001Z"),
		ResponseGapBytes: 3, Upgraded: true, RequestTunnelBytes: 517, ResponseTunnelBytes: 4096, Anomalies: []string{"header_gap"},
	}
	return []struct {
		name string
		rec  Record
	}{{"basic", basic}, {"no-response", noResponse}, {"hostile", evil}, {"ipv6-xff", v6}}
}

// goldenLine writes output so the golden file stays one line per case:
// outputs containing CR or LF (only escape=none and literal \n may) are
// Go-quoted and marked "q:".
func goldenLine(b *strings.Builder, spec, name string, out []byte) {
	s := string(out)
	if strings.ContainsAny(s, "\r\n") {
		s = "q:" + quote(s)
	}
	b.WriteString(spec + "\t" + name + "\t" + s + "\n")
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
		for i := 0; i < max(len(wl), len(gl)); i++ {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Errorf("%s line %d:\n want %q\n got  %q", path, i+1, w, g)
			}
		}
	}
}
