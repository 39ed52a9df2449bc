package logs

import (
	"fmt"
	"strings"
	"time"
)

// item renders one piece of a log line.
type item func(dst []byte, r *Record, loc *time.Location) []byte

// Format is a compiled log format. It is immutable and safe for concurrent
// use.
type Format struct {
	items []item
	// preamble, when set, renders the lines a log file starts with (W3C's
	// #Software/#Version/#Date/#Fields); first is the first line's instant.
	preamble func(dst []byte, first time.Time) []byte
	// needsHeaders is set when an item reads a header the fact table does
	// not carry, so Render loads the http_header table.
	needsHeaders bool
}

// Append renders r as one line (without the newline) onto dst.
func (f *Format) Append(dst []byte, r *Record, loc *time.Location) []byte {
	for _, it := range f.items {
		dst = it(dst, r, loc)
	}
	return dst
}

// AppendPreamble appends the lines (each ending in '\n') that start every
// file of this format, given the instant of the file's first line; nothing
// for formats without a preamble.
func (f *Format) AppendPreamble(dst []byte, first time.Time) []byte {
	if f.preamble == nil {
		return dst
	}
	return f.preamble(dst, first)
}

// NeedsHeaders reports whether the format reads headers other than Host,
// User-Agent, Referer and X-Forwarded-For (which the fact table carries).
func (f *Format) NeedsHeaders() bool { return f.needsHeaders }

// presets maps format names to their definitions. combined and common are
// nginx's: `combined` is nginx's built-in format, so the output can be
// compared byte for byte with an nginx access log.
var presets = map[string]string{
	"combined": `nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
	"common":   `nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent`,
	"nginx":    `nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,

	// Apache httpd's conventional LogFormat nicknames (httpd.conf).
	"apache:common":   `apache:%h %l %u %t "%r" %>s %b`,
	"apache:combined": `apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`,
	"vhost_combined":  `apache:%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`,
	"referer":         `apache:%{Referer}i -> %U`,
	"agent":           `apache:%{User-agent}i`,
}

// PresetNames lists the named formats.
func PresetNames() []string {
	return []string{"combined", "common", "nginx", "apache:common", "apache:combined", "vhost_combined", "referer", "agent", "w3c", "json"}
}

// Compile parses a --format value: a preset name, "nginx:FORMAT" (nginx
// log_format variables, optionally starting with "escape=default|json|none "),
// "apache:FORMAT" (mod_log_config directives), "w3c" or "w3c:FIELD ..."
// (IIS W3C extended), or "json".
func Compile(spec string) (*Format, error) {
	if def, ok := presets[spec]; ok {
		spec = def
	}
	if body, ok := strings.CutPrefix(spec, "nginx:"); ok {
		return compileNginx(body)
	}
	if body, ok := strings.CutPrefix(spec, "apache:"); ok {
		return compileApache(body)
	}
	if spec == "w3c" {
		return compileW3C(DefaultW3CFields)
	}
	if body, ok := strings.CutPrefix(spec, "w3c:"); ok {
		return compileW3C(strings.FieldsFunc(body, func(r rune) bool { return r == ' ' || r == ',' }))
	}
	if spec == "json" {
		return compileJSON(), nil
	}
	return nil, fmt.Errorf("unknown log format %q (presets: %s; or nginx:'$var ...', apache:'%%h ...', w3c:'date time ...')", spec, strings.Join(PresetNames(), ", "))
}

func literal(s string) item {
	return func(dst []byte, _ *Record, _ *time.Location) []byte { return append(dst, s...) }
}
