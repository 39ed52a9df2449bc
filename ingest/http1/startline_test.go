package http1

import (
	"fmt"
	"testing"
)

// TestParseRequestLine: each request-line leniency, and that none of them
// is taken while resynchronising (strict), where only clean lines may
// start a message.
func TestParseRequestLine(t *testing.T) {
	cases := []struct {
		line string
		// want is "target|version|flags" (version "-" for HTTP/0.9), or ""
		// when the line is rejected.
		lenient, strict string
	}{
		{"GET /a HTTP/1.1", "/a|HTTP/1.1|", "/a|HTTP/1.1|"},
		{"GET /a b  HTTP/1.0", "/a b|HTTP/1.0|", "/a b|HTTP/1.0|"},
		{"OPTIONS  HTTP/1.0", "|HTTP/1.0|missing_uri", "|HTTP/1.0|missing_uri"},
		{"OPTIONS HTTP/1.1", "|HTTP/1.1|missing_uri", ""},
		{"GET HTTP/1.1", "|HTTP/1.1|missing_uri", ""},
		{"GET / HTTP/1.", "/|HTTP/1.|bad_version", ""},
		{"GET / http/1.1", "/|http/1.1|bad_version", ""},
		{"GET /a HTTP/1.1 x", "/a|HTTP/1.1|bad_version", ""},
		{"GET /a HTTP/1.1 ", "/a|HTTP/1.1|bad_version", ""},
		// Blanks around the target are RFC 9112's "whitespace-delimited
		// word boundaries", taken without an anomaly as before.
		{"GET /a\tHTTP/1.1", "/a|HTTP/1.1|", ""},
		{"PUT HTTP/1", "|HTTP/1|missing_uri bad_version", ""},
		{"GET /HTTP/1.1", "/HTTP/1.1|-|http09", ""},
		{"GET /a b", "/a b|-|http09", ""},
		{"GET / HTTP/2.0", "/ HTTP/2.0|-|http09", ""},
		{"GET / HTTP/10.0", "/ HTTP/10.0|-|http09", ""},
		{"POST /zeek.html", "/zeek.html|-|http09 http09_method", ""},
		{"CCM_POST /HTTP/1.1", "/HTTP/1.1|-|http09 http09_method unverified", ""},
		{"GET ", "", ""},
		{"T /zeek.html", "", ""},
		{"POST /a b", "", ""},
		{"OPTIONS rtsp://cam/1 RTSP/1.0", "", ""},
		{"PRI * HTTP/2.0", "", ""},
		{"GET/ HTTP/1.1", "", ""},
		{"GET /\x01 HTTP/1.1", "", ""},
	}
	for _, tc := range cases {
		checkBothModes(t, tc.line, tc.lenient, tc.strict, func(strict bool) string {
			if rl, ok := parseRequestLine([]byte(tc.line), strict); ok {
				return describeRequestLine(tc.line, rl)
			}
			return ""
		})
	}
}

// checkBothModes compares what parse gives for line when lenient and when
// strict (resynchronising) with the expectations.
func checkBothModes(t *testing.T, line, lenient, strict string, parse func(strict bool) string) {
	t.Helper()
	for _, mode := range []bool{false, true} {
		want := lenient
		if mode {
			want = strict
		}
		if got := parse(mode); got != want {
			t.Errorf("%q strict=%v: got %q, want %q", line, mode, got, want)
		}
	}
}

func describeRequestLine(line string, rl requestLine) string {
	version := "-"
	if rl.versionStart >= 0 {
		version = line[rl.versionStart:rl.versionEnd]
	}
	flags := ""
	for _, f := range []struct {
		on   bool
		name string
	}{{rl.missingURI, "missing_uri"}, {rl.badVersion, "bad_version"}, {rl.http09, "http09"},
		{rl.http09Other, "http09_method"}, {rl.unverified, "unverified"}} {
		if f.on {
			if flags != "" {
				flags += " "
			}
			flags += f.name
		}
	}
	return fmt.Sprintf("%s|%s|%s", line[rl.targetStart:rl.targetEnd], version, flags)
}

// TestParseStatusLine: the status-line leniencies (the HTTP Evader cases
// browsers accept), none of them taken while resynchronising.
func TestParseStatusLine(t *testing.T) {
	cases := []struct {
		line string
		// want is "status|reason|anomaly", or "" when the line is rejected.
		lenient, strict string
	}{
		{"HTTP/1.1 200 OK", "200|OK|", "200|OK|"},
		{"HTTP/1.0 404", "404||", "404||"},
		{"http/1.1 204 No Content", "204|No Content|", "204|No Content|"},
		{"HTTP/1.1 200 ", "200||", "200||"},
		{"HTTP/2.0 200 ok", "200|ok|bad_version", ""},
		{"HTTP/0.9 200 ok", "200|ok|bad_version", ""},
		{"HTTP/1.1  200 ok", "200|ok|bad_status_line", ""},
		{"HTTP/1.1\t200 ok", "200|ok|bad_status_line", ""},
		{"HTTP/1.1 0204 ok", "20|ok|bad_status_line", ""},
		{"HTTP/1.1 200ok", "200||bad_status_line", ""},
		{"HTTP/1.1 2\x0000 ok", "", ""},
		{"HTTP/1.1 20", "", ""},
		{"HTTP/1.1 abc", "", ""},
		{"HTTP/10.0 200 ok", "", ""},
		{"HTTPS/1.1 200 ok", "", ""},
		{"RTSP/1.0 200 OK", "", ""},
		{"HTTP/1.1", "", ""},
	}
	for _, tc := range cases {
		checkBothModes(t, tc.line, tc.lenient, tc.strict, func(strict bool) string {
			if status, at, anom, ok := parseStatusLine([]byte(tc.line), strict); ok {
				return fmt.Sprintf("%d|%s|%s", status, trimSpace(tc.line[at:]), anom)
			}
			return ""
		})
	}
}
