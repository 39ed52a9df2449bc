package logs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// item renders one piece of a log line.
type item func(dst []byte, r *Record, loc *time.Location) []byte

// Format is a compiled log format.
type Format struct {
	items []item
}

// Append renders r as one line (without the newline) onto dst.
func (f *Format) Append(dst []byte, r *Record, loc *time.Location) []byte {
	for _, it := range f.items {
		dst = it(dst, r, loc)
	}
	return dst
}

// Presets maps format names to their definitions. combined and common are
// nginx's: `combined` is nginx's built-in format, so the output can be
// compared byte for byte with an nginx access log.
var presets = map[string]string{
	"combined": `nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
	"common":   `nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent`,
	"nginx":    `nginx:$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`,
}

// PresetNames lists the named formats.
func PresetNames() []string { return []string{"combined", "common", "nginx"} }

// Compile parses a --format value: a preset name or "nginx:FORMAT".
func Compile(spec string) (*Format, error) {
	if def, ok := presets[spec]; ok {
		spec = def
	}
	if body, ok := strings.CutPrefix(spec, "nginx:"); ok {
		return compileNginx(body)
	}
	return nil, fmt.Errorf("unknown log format %q (presets: %s; or nginx:'$var ...')", spec, strings.Join(PresetNames(), ", "))
}

// nginxValue returns a variable's value and whether it was found; nginx
// writes "-" for a variable that was not found and the escaped value
// otherwise (an empty value stays empty).
type nginxValue func(r *Record, loc *time.Location) (string, bool)

func compileNginx(f string) (*Format, error) {
	var items []item
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			s := lit.String()
			items = append(items, func(dst []byte, _ *Record, _ *time.Location) []byte { return append(dst, s...) })
			lit.Reset()
		}
	}
	for i := 0; i < len(f); {
		if f[i] != '$' {
			lit.WriteByte(f[i])
			i++
			continue
		}
		name, n := nginxVarName(f[i+1:])
		if name == "" {
			return nil, fmt.Errorf("log format: '$' without a variable name at offset %d", i)
		}
		i += 1 + n
		v, err := nginxVariable(name)
		if err != nil {
			return nil, err
		}
		flush()
		items = append(items, func(dst []byte, r *Record, loc *time.Location) []byte {
			s, ok := v(r, loc)
			if !ok {
				return append(dst, '-')
			}
			return nginxEscape(dst, s)
		})
	}
	flush()
	return &Format{items: items}, nil
}

// nginxVarName reads "name" or "{name}" and returns the name and the bytes consumed.
func nginxVarName(s string) (string, int) {
	if strings.HasPrefix(s, "{") {
		if end := strings.IndexByte(s, '}'); end > 1 {
			return s[1:end], end + 1
		}
		return "", 0
	}
	n := 0
	for n < len(s) && (s[n] == '_' || s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= '0' && s[n] <= '9') {
		n++
	}
	return s[:n], n
}

func found(s string) (string, bool) { return s, true }

func nginxVariable(name string) (nginxValue, error) {
	switch name {
	case "remote_addr":
		return func(r *Record, _ *time.Location) (string, bool) { return found(r.ClientIP) }, nil
	case "remote_port":
		return func(r *Record, _ *time.Location) (string, bool) { return found(strconv.Itoa(r.ClientPort)) }, nil
	case "server_addr":
		return func(r *Record, _ *time.Location) (string, bool) { return found(r.ServerIP) }, nil
	case "server_port":
		return func(r *Record, _ *time.Location) (string, bool) { return found(strconv.Itoa(r.ServerPort)) }, nil
	case "remote_user":
		return func(r *Record, _ *time.Location) (string, bool) { return r.AuthUser, r.HasAuthUser }, nil
	case "time_local":
		return func(r *Record, loc *time.Location) (string, bool) {
			return found(r.LogTime().In(loc).Format("02/Jan/2006:15:04:05 -0700"))
		}, nil
	case "time_iso8601":
		return func(r *Record, loc *time.Location) (string, bool) {
			return found(r.LogTime().In(loc).Format("2006-01-02T15:04:05-07:00"))
		}, nil
	case "msec":
		return func(r *Record, _ *time.Location) (string, bool) {
			t := r.LogTime()
			return found(fmt.Sprintf("%d.%03d", t.Unix(), t.Nanosecond()/1e6))
		}, nil
	case "request":
		return func(r *Record, _ *time.Location) (string, bool) { return r.RequestLine, r.HasRequest }, nil
	case "request_method":
		return func(r *Record, _ *time.Location) (string, bool) { return r.Method, r.HasRequest }, nil
	case "request_uri":
		return func(r *Record, _ *time.Location) (string, bool) { return r.URI, r.HasRequest }, nil
	case "args", "query_string":
		return func(r *Record, _ *time.Location) (string, bool) { return r.Query, r.HasQuery }, nil
	case "server_protocol":
		return func(r *Record, _ *time.Location) (string, bool) { return r.Version, r.HasRequest }, nil
	case "status":
		return func(r *Record, _ *time.Location) (string, bool) {
			// nginx prints %03d of 0 when no status was ever set.
			return found(fmt.Sprintf("%03d", r.Status))
		}, nil
	case "body_bytes_sent":
		return func(r *Record, _ *time.Location) (string, bool) {
			return found(strconv.FormatInt(r.ResponseInterimBytes+r.ResponseBodyWireBytes, 10))
		}, nil
	case "bytes_sent":
		return func(r *Record, _ *time.Location) (string, bool) {
			return found(strconv.FormatInt(r.ResponseInterimBytes+r.ResponseHeaderBytes+r.ResponseBodyWireBytes, 10))
		}, nil
	case "request_length":
		return func(r *Record, _ *time.Location) (string, bool) {
			return found(strconv.FormatInt(r.RequestHeaderBytes+r.RequestBodyWireBytes, 10))
		}, nil
	case "request_time":
		return func(r *Record, _ *time.Location) (string, bool) {
			d := r.LogTime().Sub(r.RequestTS)
			if r.RequestTS.IsZero() || d < 0 {
				d = 0
			}
			ms := d.Milliseconds()
			return found(fmt.Sprintf("%d.%03d", ms/1000, ms%1000))
		}, nil
	case "connection_requests":
		return func(r *Record, _ *time.Location) (string, bool) { return found(strconv.Itoa(r.TransDepth)) }, nil
	case "pipe":
		return func(r *Record, _ *time.Location) (string, bool) {
			if r.Pipelined {
				return found("p")
			}
			return found(".")
		}, nil
	case "host":
		return func(r *Record, _ *time.Location) (string, bool) {
			h := strings.ToLower(r.Host)
			if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
				h = h[:i]
			}
			return found(h)
		}, nil
	case "http_referer":
		return func(r *Record, _ *time.Location) (string, bool) { return r.Referrer, r.HasReferrer }, nil
	case "http_user_agent":
		return func(r *Record, _ *time.Location) (string, bool) { return r.UserAgent, r.HasUA }, nil
	case "http_host":
		return func(r *Record, _ *time.Location) (string, bool) { return r.Host, r.HasHost }, nil
	}
	return nil, fmt.Errorf("log format: nginx variable $%s is not supported", name)
}
