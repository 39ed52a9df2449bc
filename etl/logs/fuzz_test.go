package logs

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzCompileFormat: no format string makes Compile or rendering panic.
func FuzzCompileFormat(f *testing.F) {
	for _, s := range []string{
		"combined", "apache:combined", "vhost_combined", "w3c", "json",
		`nginx:$remote_addr - $remote_user [$time_local] "$request"`, "nginx:escape=json ${http_x}y$cookie_a$arg_b",
		`apache:%h %l %u %t "%r" %>s %b "%{Referer}i"`, "apache:%!200,304{X}i %{end:%F %T}t %{%}t %{ms}T %",
		"apache:%{", "apache:%400,", "apache:%^ti", "apache:%{x}^to", "w3c:date time cs(User-Agent) sc(",
		"nginx:$", "nginx:${", "apache:%{begin:%", "apache:\\", "apache:%{usec_frac}t",
	} {
		f.Add(s)
	}
	recs := testRecords()
	f.Fuzz(func(t *testing.T, spec string) {
		fm, err := Compile(spec)
		if err != nil {
			return
		}
		for _, tr := range recs {
			fm.Append(nil, &tr.rec, time.UTC)
			fm.AppendPreamble(nil, tr.rec.LogTime())
		}
		var zero Record
		fm.Append(nil, &zero, time.UTC)
	})
}

// safeFormats are every format whose escaping must keep a line one line.
var safeFormats = []string{
	"combined", "common", "nginx", "apache:common", "apache:combined", "vhost_combined", "referer", "agent", "w3c", "json",
	`nginx:escape=json {"r":"$request","ua":"$http_user_agent","h":"$host","c":"$cookie_s","a":"$arg_x","o":"$sent_http_location"}`,
	`apache:%h %a %u %r %m %U %q %H %v %V %{X}i %{X}o %{s}C %{Cookie}i %{Set-Cookie}o %{Content-Type}o`,
	`nginx:$request_uri $args $server_name $http_x $sent_http_x $realip_remote_addr $remote_user`,
	"w3c:date time c-ip cs-username cs-method cs-uri-stem cs-uri-query cs-host cs(User-Agent) cs(Referer) cs(X) sc(X)",
}

// FuzzRenderHostile: whatever bytes an attacker puts in the request line,
// headers, Host or user name, a rendered line never contains a raw line
// break or any other control byte, and JSON output stays valid JSON.
func FuzzRenderHostile(f *testing.F) {
	f.Add(hostile, "x\ny", "h\r\n", "u\"")
	f.Add("\xff\xfe\x00", "\u2028", "..", "")
	f.Add("%0d%0a", "a b", "[::1]:80", "\\")
	formats := make([]*Format, len(safeFormats))
	for i, s := range safeFormats {
		fm, err := Compile(s)
		if err != nil {
			f.Fatal(s, err)
		}
		formats[i] = fm
	}
	f.Fuzz(func(t *testing.T, target, value, host, user string) {
		r := testRecords()[0].rec
		r.RequestLine = "GET " + target + " HTTP/1.1"
		r.URI, r.Query, r.HasQuery = target, value, strings.Contains(target, "?")
		r.Method, r.Version = value, value
		r.Host, r.AuthUser, r.HasAuthUser = host, user, true
		r.UserAgent, r.Referrer, r.XForwardedFor, r.HasXFF = value, value, value, true
		r.RequestHeaders = []Header{{"Host", host}, {"User-Agent", value}, {"X", value}, {"Cookie", "s=" + value}, {value, value}}
		r.ResponseHeaders = []Header{{"X", value}, {"Location", target}, {"Set-Cookie", value}, {"Content-Type", value}}
		r.RemoteIP = (&ClientIP{Source: ClientXForwardedFor}).Resolve(&r)
		for i, fm := range formats {
			line := fm.Append(nil, &r, time.UTC)
			for _, c := range line {
				if c < 0x20 {
					t.Fatalf("format %s: raw control byte %#x in %q", safeFormats[i], c, line)
				}
			}
			if safeFormats[i] == "json" && !json.Valid(line) {
				t.Fatalf("json: invalid output %q", line)
			}
		}
		if strings.ContainsAny(SanitiseVhost(NormaliseHost(host)), "/\\\x00\r\n") || strings.HasPrefix(SanitiseVhost(NormaliseHost(host)), ".") {
			t.Fatalf("unsafe file name from host %q", host)
		}
	})
}
