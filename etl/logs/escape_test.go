package logs

import (
	"strings"
	"testing"
)

// TestEscapers pins each server's escaping rule byte for byte on the
// hostile string (the rules are quoted in escape.go).
func TestEscapers(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func([]byte, string) []byte
		want string
	}{
		{"nginx default (ngx_http_log_escape)", nginxEscape,
			`a\x22b\x5Cc\x0D\x0Ad\x09e\x0Bf\x0Cg\x08h\x00i\x01j\x1Fk\x7Fl\xFFm \xC3\xA9\xE2\x80\xA8%20`},
		{"nginx escape=json (ngx_escape_json)", nginxJSONEscape,
			"a\\\"b\\\\c\\r\\nd\\te\\u000Bf\\fg\\bh\\u0000i\\u0001j\\u001Fk\x7fl\xffm é\u2028%20"},
		{"apache (ap_escape_logitem)", apacheEscape,
			`a\"b\\c\r\nd\te\vf\x0cg\bh\x00i\x01j\x1fk\x7fl\xffm \xc3\xa9\xe2\x80\xa8%20`},
		{"w3c", w3cEscape,
			"a\"b\\c%0D%0Ad%09e%0Bf%0Cg%08h%00i%01j%1Fk%7Fl%FFm+é%E2%80%A8%20"},
	} {
		if got := string(tc.fn(nil, hostile)); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	if got := string(w3cEscape(nil, "")); got != "-" {
		t.Errorf("w3c empty = %q, want -", got)
	}
}

// TestEscapeEveryByte checks, for every single byte, that the safe escapers
// never emit a raw control byte and that printable ASCII other than the
// quote and backslash passes through.
func TestEscapeEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		for name, fn := range map[string]func([]byte, string) []byte{
			"nginx": nginxEscape, "json": nginxJSONEscape, "apache": apacheEscape, "w3c": w3cEscape,
		} {
			out := string(fn(nil, s))
			if c < 0x20 && strings.ContainsRune(out, rune(c)) {
				t.Errorf("%s: byte %#x passed through raw: %q", name, c, out)
			}
			printable := c >= 0x20 && c < 0x7f && c != '"' && c != '\\'
			if printable && name != "w3c" && out != s {
				t.Errorf("%s: printable %q became %q", name, s, out)
			}
			if name != "json" && c >= 0x7f && out == s {
				t.Errorf("%s: byte %#x not escaped", name, c)
			}
		}
	}
}
