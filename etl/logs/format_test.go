package logs

import (
	"strings"
	"testing"
	"time"
)

var cet = time.FixedZone("CET", 3600)

func renderGolden(t *testing.T, golden string, specs []string) {
	t.Helper()
	var b strings.Builder
	for _, spec := range specs {
		f, err := Compile(spec)
		if err != nil {
			t.Errorf("Compile(%q): %v", spec, err)
			continue
		}
		for _, tr := range testRecords() {
			goldenLine(&b, spec, tr.name, f.Append(nil, &tr.rec, cet))
		}
	}
	checkGolden(t, golden, b.String())
}

// TestApacheDirectives renders every mod_log_config directive on every
// synthetic record (golden: testdata/apache.golden).
func TestApacheDirectives(t *testing.T) {
	var specs []string
	for _, d := range []string{
		"%h", "%a", "%{c}a", "%{c}h", "%A", "%p", "%{canonical}p", "%{local}p", "%{remote}p", "%l", "%u",
		"%t", "%{begin:%d/%b/%Y %T}t", "%{end:%d/%b/%Y %T}t", "%{%Y-%m-%dT%H:%M:%S%z}t",
		"%{sec}t", "%{msec}t", "%{usec}t", "%{msec_frac}t", "%{usec_frac}t",
		"%{end:sec}t", "%{end:msec_frac}t", "%{end:usec_frac}t",
		"%{%a %A %b %B %C %d %D %e %F %H %I %j %k %l %m %M %p %r %R %s %S %T %u %U %V %w %W %y %Y %z %Z %%}t",
		"%r", "%m", "%U", "%q", "%H", "%s", "%>s", "%<s", "%b", "%B", "%I", "%O", "%S",
		"%D", "%T", "%{ms}T", "%{us}T", "%{s}T", "%k", "%X", "%v", "%V",
		"%{Referer}i", "%{User-agent}i", "%{Host}i", "%{X-Forwarded-For}i", "%{Accept}i", "%{X-Request-Id}i", "%{Cookie}i", "%{X-Evil}i",
		"%{Content-Type}o", "%{Set-Cookie}o", "%{X-Dup}o", "%{Location}o", "%{Connection}o",
		"%{session}C", "%{theme}C", "%{Theme}C", "%{s}C",
		"%P", "%{tid}P", "%R", "%L", "%{HOME}e", "%{note}n", "%f", "%{SSL_PROTOCOL}x",
		"%%", "%400,501{User-agent}i", "%!200,304{Referer}i", "%200{Referer}i", "%!404s",
		`literal\t"%r"\\ %>s`,
	} {
		specs = append(specs, "apache:"+d)
	}
	specs = append(specs, "apache:common", "apache:combined", "vhost_combined", "referer", "agent")
	renderGolden(t, "apache.golden", specs)
}

// TestNginxVariables renders every supported nginx variable with each
// escape mode (golden: testdata/nginx.golden).
func TestNginxVariables(t *testing.T) {
	vars := []string{
		"remote_addr", "remote_port", "realip_remote_addr", "realip_remote_port", "server_addr", "server_port",
		"remote_user", "time_local", "time_iso8601", "msec", "request", "request_method", "request_uri",
		"args", "query_string", "is_args", "server_protocol", "status", "body_bytes_sent", "bytes_sent",
		"request_length", "request_time", "connection_requests", "pipe", "host", "server_name", "scheme", "https",
		"request_completion", "content_length", "content_type",
		"http_referer", "http_user_agent", "http_host", "http_x_forwarded_for", "http_accept", "http_cookie",
		"http_x_request_id", "http_x_evil", "sent_http_content_type", "sent_http_set_cookie", "sent_http_x_dup",
		"sent_http_location", "cookie_session", "cookie_theme", "cookie_s", "cookie_absent",
		"arg_a", "arg_B", "arg_x", "arg_absent",
		"connection", "pid", "hostname", "request_id", "upstream_addr",
	}
	var specs []string
	for _, v := range vars {
		specs = append(specs, "nginx:$"+v, "nginx:escape=json $"+v)
	}
	specs = append(specs, "nginx:escape=none $request", "nginx:escape=none $http_user_agent|$cookie_absent|",
		"nginx:${request_method}x", "combined", "common", "nginx",
		`nginx:escape=json {"ua":"$http_user_agent","req":"$request","user":"$remote_user"}`)
	renderGolden(t, "nginx.golden", specs)
}

// TestW3CFields renders each W3C field and the default field set
// (golden: testdata/w3c.golden).
func TestW3CFields(t *testing.T) {
	specs := []string{"w3c"}
	for _, f := range []string{"date", "time", "s-ip", "c-ip", "s-port", "cs-method", "cs-uri-stem", "cs-uri-query",
		"cs-username", "cs-version", "cs-host", "sc-status", "sc-substatus", "sc-win32-status", "time-taken",
		"sc-bytes", "cs-bytes", "s-sitename", "s-computername", "cs(User-Agent)", "cs(Referer)", "cs(Cookie)",
		"sc(Content-Type)", "cs(X-Evil)"} {
		specs = append(specs, "w3c:"+f)
	}
	renderGolden(t, "w3c.golden", specs)
}

func TestW3CPreamble(t *testing.T) {
	f, err := Compile("w3c:date time c-ip cs(User-Agent)")
	if err != nil {
		t.Fatal(err)
	}
	got := string(f.AppendPreamble(nil, ts("2026-11-24T13:00:01.5+01:00")))
	want := "#Software: spanlake\n#Version: 1.0\n#Date: 2026-11-24 12:00:01\n#Fields: date time c-ip cs(User-Agent)\n"
	if got != want {
		t.Errorf("preamble:\n got %q\nwant %q", got, want)
	}
	if g := string((&Format{}).AppendPreamble(nil, time.Now())); g != "" {
		t.Errorf("non-W3C preamble %q", g)
	}
}

func TestJSONFormat(t *testing.T) {
	renderGolden(t, "json.golden", []string{"json"})
}

func TestCompileErrors(t *testing.T) {
	for _, spec := range []string{
		"nonsense", "nginx:$", "nginx:$no_such_variable", "nginx:escape=xml $status", "nginx:${unterminated",
		"apache:%Z", "apache:%{x}", "apache:%{ms", "apache:%>", "apache:%!400", "apache:%{bogus}p", "apache:%{hours}T",
		"apache:%i", "apache:%o", "apache:%C", "w3c:", "w3c:date bogus-field",
	} {
		if _, err := Compile(spec); err == nil {
			t.Errorf("Compile(%q) succeeded, want an error", spec)
		}
	}
}

// TestPresetsUnchanged pins the three original presets to their exact
// definitions: the end-to-end test compares combined with nginx's log.
func TestPresetsUnchanged(t *testing.T) {
	for _, name := range PresetNames() {
		if _, err := Compile(name); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
	r := testRecords()[0].rec
	f, _ := Compile("combined")
	got := string(f.Append(nil, &r, time.UTC))
	want := `192.0.2.10 - alice [24/Nov/2026:13:00:01 +0000] "GET /shop/../index.html?a=1&b=two%20words HTTP/1.1" 200 1040 "https://ref.example/p?q=1" "Mozilla/5.0 (X11; Linux x86_64)"`
	if got != want {
		t.Errorf("combined:\n got %s\nwant %s", got, want)
	}
	f, _ = Compile("apache:combined")
	got = string(f.Append(nil, &r, time.UTC))
	want = `192.0.2.10 - alice [24/Nov/2026:13:00:00 +0000] "GET /shop/../index.html?a=1&b=two%20words HTTP/1.1" 200 1024 "https://ref.example/p?q=1" "Mozilla/5.0 (X11; Linux x86_64)"`
	if got != want {
		t.Errorf("apache:combined:\n got %s\nwant %s", got, want)
	}
}
