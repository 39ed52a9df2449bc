package logs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// nginxValue returns a variable's value and whether it was found; nginx
// writes "-" for a variable that was not found and the escaped value
// otherwise (an empty value stays empty).
type nginxValue func(r *Record, loc *time.Location) (string, bool)

// nginxEscapeMode is log_format's escape= parameter.
type nginxEscapeMode int

const (
	nginxEscapeDefault nginxEscapeMode = iota
	nginxEscapeJSON
	nginxEscapeNone
)

// compileNginx compiles the string of a log_format directive, optionally
// preceded by "escape=default|json|none" and a space as in nginx.
func compileNginx(f string) (*Format, error) {
	mode := nginxEscapeDefault
	if rest, ok := strings.CutPrefix(f, "escape="); ok {
		word, tail, _ := strings.Cut(rest, " ")
		switch word {
		case "default":
		case "json":
			mode = nginxEscapeJSON
		case "none":
			mode = nginxEscapeNone
		default:
			return nil, fmt.Errorf("log format: unknown nginx escape=%q (default, json, none)", word)
		}
		f = tail
	}
	out := &Format{}
	var items []item
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() > 0 {
			items = append(items, literal(lit.String()))
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
		v, headers, err := nginxVariable(name)
		if err != nil {
			return nil, err
		}
		out.needsHeaders = out.needsHeaders || headers
		flush()
		switch mode {
		case nginxEscapeDefault:
			// ngx_http_log_variable: "-" when not found, else escaped.
			items = append(items, func(dst []byte, r *Record, loc *time.Location) []byte {
				s, ok := v(r, loc)
				if !ok {
					return append(dst, '-')
				}
				return nginxEscape(dst, s)
			})
		case nginxEscapeJSON:
			// ngx_http_log_json_variable: nothing when not found.
			items = append(items, func(dst []byte, r *Record, loc *time.Location) []byte {
				s, _ := v(r, loc)
				return nginxJSONEscape(dst, s)
			})
		case nginxEscapeNone:
			// ngx_http_log_unescaped_variable: raw bytes, as nginx does;
			// a hostile value can then forge lines, exactly as in nginx.
			items = append(items, func(dst []byte, r *Record, loc *time.Location) []byte {
				s, _ := v(r, loc)
				return append(dst, s...)
			})
		}
	}
	flush()
	out.items = items
	return out, nil
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

// nginxVariable resolves a variable name; headers reports whether it reads
// headers only the http_header table has.
func nginxVariable(name string) (v nginxValue, headers bool, err error) {
	if h, ok := strings.CutPrefix(name, "http_"); ok {
		if v, err := nginxBuiltin(name); err == nil {
			return v, false, nil
		}
		hdr := strings.ReplaceAll(h, "_", "-")
		return func(r *Record, _ *time.Location) (string, bool) {
			return r.RequestHeader(hdr, nginxHeaderSep(hdr))
		}, true, nil
	}
	if h, ok := strings.CutPrefix(name, "sent_http_"); ok {
		hdr := strings.ReplaceAll(h, "_", "-")
		return func(r *Record, _ *time.Location) (string, bool) {
			return r.ResponseHeader(hdr, nginxHeaderSep(hdr))
		}, true, nil
	}
	if c, ok := strings.CutPrefix(name, "cookie_"); ok {
		return func(r *Record, _ *time.Location) (string, bool) {
			cookies, ok := r.RequestHeader("Cookie", "; ")
			if !ok {
				return "", false
			}
			return cookieValue(cookies, c, false)
		}, true, nil
	}
	if a, ok := strings.CutPrefix(name, "arg_"); ok {
		return func(r *Record, _ *time.Location) (string, bool) {
			if !r.HasQuery {
				return "", false
			}
			return nginxArg(r.Query, a)
		}, false, nil
	}
	v, err = nginxBuiltin(name)
	return v, false, err
}

// nginxHeaderSep is how nginx (1.23+) joins repeated request or response
// headers in $http_/$sent_http_ variables.
func nginxHeaderSep(name string) string {
	if strings.EqualFold(name, "cookie") {
		return "; "
	}
	return ", "
}

// nginxArg finds name (case-insensitive) among the '&'-separated
// arguments of args, as ngx_http_arg does; the value stays undecoded.
func nginxArg(args, name string) (string, bool) {
	for _, kv := range strings.Split(args, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// cookieValue finds the cookie name (case-insensitive, as both Apache's
// log_cookie and nginx's ngx_http_parse_multi_header_lines compare) in a
// Cookie header value: pairs separated by ';', blanks around the name
// skipped; the first match wins. nginx skips blanks before the value;
// Apache (apache set) also trims blanks after it and ignores empty values.
func cookieValue(header, name string, apache bool) (string, bool) {
	for _, kv := range strings.Split(header, ";") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.EqualFold(strings.Trim(k, " \t"), name) {
			continue
		}
		if apache {
			v = strings.TrimRight(v, " \t")
			if v == "" {
				continue
			}
		} else {
			v = strings.TrimLeft(v, " ")
		}
		return v, true
	}
	return "", false
}

func nginxBuiltin(name string) (nginxValue, error) {
	switch name {
	case "remote_addr":
		return func(r *Record, _ *time.Location) (string, bool) { return found(r.Remote()) }, nil
	case "realip_remote_addr":
		return func(r *Record, _ *time.Location) (string, bool) { return found(r.ClientIP) }, nil
	case "realip_remote_port":
		return func(r *Record, _ *time.Location) (string, bool) { return found(strconv.Itoa(r.ClientPort)) }, nil
	case "scheme":
		return func(r *Record, _ *time.Location) (string, bool) { return found("http") }, nil
	case "https":
		return func(r *Record, _ *time.Location) (string, bool) { return found("") }, nil
	case "is_args":
		return func(r *Record, _ *time.Location) (string, bool) {
			if r.HasQuery {
				return found("?")
			}
			return found("")
		}, nil
	case "request_completion":
		return func(r *Record, _ *time.Location) (string, bool) {
			if r.HasResponse && r.ResponseComplete {
				return found("OK")
			}
			return found("")
		}, nil
	case "server_name":
		return func(r *Record, _ *time.Location) (string, bool) { return r.Vhost(), r.HasHost }, nil
	case "content_length":
		return func(r *Record, _ *time.Location) (string, bool) { return r.RequestHeader("Content-Length", ", ") }, nil
	case "content_type":
		return func(r *Record, _ *time.Location) (string, bool) { return r.RequestHeader("Content-Type", ", ") }, nil
	case "http_x_forwarded_for":
		return func(r *Record, _ *time.Location) (string, bool) { return r.XForwardedFor, r.HasXFF }, nil
	case "connection", "pid", "hostname", "request_id", "nginx_version",
		"upstream_addr", "upstream_status", "upstream_response_time", "upstream_connect_time",
		"upstream_header_time", "gzip_ratio", "ssl_protocol", "ssl_cipher":
		// Not visible on the wire: nginx's own counters, identity and
		// upstream side. Rendered as not found ("-").
		return func(*Record, *time.Location) (string, bool) { return "", false }, nil
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
	case "uri", "document_uri":
		return func(r *Record, _ *time.Location) (string, bool) { return normalizedURI(r.URI), r.HasRequest }, nil
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
			// nginx: bytes sent minus the final header, so a 100 Continue counts.
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
		// ngx_http_validate_host: lower case, no port, no trailing dot.
		// Without a Host nginx logs its server_name, which the wire does
		// not show: not found ("-").
		return func(r *Record, _ *time.Location) (string, bool) { return r.Vhost(), r.HasHost }, nil
	case "http_referer":
		return func(r *Record, _ *time.Location) (string, bool) { return r.Referrer, r.HasReferrer }, nil
	case "http_user_agent":
		return func(r *Record, _ *time.Location) (string, bool) { return r.UserAgent, r.HasUA }, nil
	case "http_host":
		return func(r *Record, _ *time.Location) (string, bool) { return r.Host, r.HasHost }, nil
	}
	return nil, fmt.Errorf("log format: nginx variable $%s is not supported", name)
}
