package logs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// apacheValue returns a directive's value and whether it is known; Apache
// writes "-" for an unknown (NULL) value. escape says whether the value is
// passed through ap_escape_logitem.
type apacheValue struct {
	get     func(r *Record, arg string, loc *time.Location) (string, bool)
	escape  bool
	headers bool // needs the http_header table
}

// compileApache compiles a mod_log_config LogFormat string. The parser
// follows parse_log_item: after '%' come any of '!' (negate), '<' / '>'
// (original / final request), status codes separated by ',', and
// "{argument}", then the directive letter.
func compileApache(f string) (*Format, error) {
	out := &Format{}
	lit := []byte{}
	flush := func() {
		if len(lit) > 0 {
			out.items = append(out.items, literal(string(lit)))
			lit = lit[:0]
		}
	}
	for i := 0; i < len(f); {
		c := f[i]
		if c == '\\' && i+1 < len(f) {
			// parse_log_misc_string: \\ \r \n \t; any other backslash is literal.
			switch f[i+1] {
			case '\\':
				lit = append(lit, '\\')
				i += 2
				continue
			case 'r':
				lit = append(lit, '\r')
				i += 2
				continue
			case 'n':
				lit = append(lit, '\n')
				i += 2
				continue
			case 't':
				lit = append(lit, '\t')
				i += 2
				continue
			}
		}
		if c != '%' {
			lit = append(lit, c)
			i++
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			lit = append(lit, '%')
			i++
			continue
		}
		var (
			negate bool
			conds  []int
			arg    string
			letter string
		)
	parse:
		for {
			if i >= len(f) {
				return nil, fmt.Errorf("log format: ran off the end of the format parsing the arguments of a %% directive")
			}
			switch c := f[i]; {
			case c == '!':
				negate = !negate
				i++
			case c == '<' || c == '>' || c == ',':
				i++ // no internal redirects on the wire: original = final
			case c == '{':
				end := strings.IndexByte(f[i+1:], '}')
				if end < 0 {
					arg, i = f[i+1:], len(f) // ap_getword takes the rest
				} else {
					arg, i = f[i+1:i+1+end], i+2+end
				}
			case c >= '0' && c <= '9':
				n := 0
				for i < len(f) && f[i] >= '0' && f[i] <= '9' {
					if n < 1e6 {
						n = n*10 + int(f[i]-'0')
					}
					i++
				}
				conds = append(conds, n)
			case c == '^' && i+2 < len(f) && (f[i+1:i+3] == "ti" || f[i+1:i+3] == "to"):
				letter = f[i : i+3]
				i += 3
				break parse
			default:
				letter = f[i : i+1]
				i++
				break parse
			}
		}
		v, err := apacheDirective(letter, arg)
		if err != nil {
			return nil, err
		}
		out.needsHeaders = out.needsHeaders || v.headers
		flush()
		out.items = append(out.items, apacheItem(v, arg, negate, conds))
	}
	flush()
	return out, nil
}

func apacheItem(v apacheValue, arg string, negate bool, conds []int) item {
	return func(dst []byte, r *Record, loc *time.Location) []byte {
		if len(conds) > 0 {
			in := false
			for _, c := range conds {
				if r.Status == c {
					in = true
					break
				}
			}
			if in == negate {
				return append(dst, '-')
			}
		}
		s, ok := v.get(r, arg, loc)
		if !ok {
			return append(dst, '-')
		}
		if v.escape {
			return apacheEscape(dst, s)
		}
		return append(dst, s...)
	}
}

func known(s string) (string, bool) { return s, true }

func unknown(*Record, string, *time.Location) (string, bool) { return "", false }

// apacheNumber is mod_log_config's pfmt: "-" for zero or less.
func apacheNumber(n int64) (string, bool) {
	if n <= 0 {
		return "", false
	}
	return strconv.FormatInt(n, 10), true
}

func apacheDirective(letter, arg string) (apacheValue, error) {
	esc := func(get func(r *Record, arg string, loc *time.Location) (string, bool)) apacheValue {
		return apacheValue{get: get, escape: true}
	}
	raw := func(get func(r *Record, arg string, loc *time.Location) (string, bool)) apacheValue {
		return apacheValue{get: get}
	}
	switch letter {
	case "h", "a":
		// %h is the remote host, an IP with HostnameLookups Off; both
		// follow mod_remoteip (--client-ip); %{c}a / %{c}h the TCP peer.
		return esc(func(r *Record, arg string, _ *time.Location) (string, bool) {
			if arg == "c" {
				return known(r.ClientIP)
			}
			return known(r.Remote())
		}), nil
	case "A":
		return esc(func(r *Record, _ string, _ *time.Location) (string, bool) { return known(r.ServerIP) }), nil
	case "p":
		switch strings.ToLower(arg) {
		case "", "canonical":
			return raw(func(r *Record, _ string, _ *time.Location) (string, bool) {
				return known(strconv.Itoa(canonicalPort(r)))
			}), nil
		case "local":
			return raw(func(r *Record, _ string, _ *time.Location) (string, bool) { return known(strconv.Itoa(r.ServerPort)) }), nil
		case "remote":
			return raw(func(r *Record, _ string, _ *time.Location) (string, bool) { return known(strconv.Itoa(r.ClientPort)) }), nil
		}
		return apacheValue{}, fmt.Errorf("log format: %%{%s}p: want canonical, local or remote", arg)
	case "l", "P", "R", "L", "e", "n", "f", "^ti", "^to", "x":
		// identd name, process/thread id, handler, log id, environment,
		// notes, file name, trailers, mod_ssl variables: not on the wire.
		return raw(unknown), nil
	case "u":
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) {
			if !r.HasAuthUser {
				return "", false
			}
			if r.AuthUser == "" {
				return known(`""`)
			}
			return known(string(apacheEscape(nil, r.AuthUser)))
		}), nil
	case "t":
		return raw(apacheTime(arg)), nil
	case "r":
		return esc(func(r *Record, _ string, _ *time.Location) (string, bool) { return r.RequestLine, r.HasRequest }), nil
	case "m":
		return esc(func(r *Record, _ string, _ *time.Location) (string, bool) { return r.Method, r.HasRequest }), nil
	case "U":
		return esc(func(r *Record, _ string, _ *time.Location) (string, bool) {
			return apacheURIPath(r.URI), r.HasRequest
		}), nil
	case "q":
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) {
			if !r.HasQuery {
				return known("")
			}
			return known("?" + string(apacheEscape(nil, r.Query)))
		}), nil
	case "H":
		return esc(func(r *Record, _ string, _ *time.Location) (string, bool) { return r.Version, r.HasRequest }), nil
	case "s":
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) { return apacheNumber(int64(r.Status)) }), nil
	case "b":
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) { return apacheNumber(r.ResponseBodyBytes) }), nil
	case "B":
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) {
			return known(strconv.FormatInt(r.ResponseBodyBytes, 10))
		}), nil
	case "I":
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) {
			return known(strconv.FormatInt(r.RequestHeaderBytes+r.RequestBodyWireBytes, 10))
		}), nil
	case "O":
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) {
			return known(strconv.FormatInt(r.ResponseInterimBytes+r.ResponseHeaderBytes+r.ResponseBodyWireBytes, 10))
		}), nil
	case "S":
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) {
			return known(strconv.FormatInt(r.RequestHeaderBytes+r.RequestBodyWireBytes+r.ResponseInterimBytes+r.ResponseHeaderBytes+r.ResponseBodyWireBytes, 10))
		}), nil
	case "D":
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) {
			return known(strconv.FormatInt(r.Duration().Microseconds(), 10))
		}), nil
	case "T":
		var unit func(time.Duration) int64
		switch arg {
		case "", "s":
			unit = func(d time.Duration) int64 { return int64(d / time.Second) }
		case "ms":
			unit = func(d time.Duration) int64 { return d.Milliseconds() }
		case "us":
			unit = func(d time.Duration) int64 { return d.Microseconds() }
		default:
			return apacheValue{}, fmt.Errorf("log format: %%{%s}T: want s, ms or us", arg)
		}
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) {
			return known(strconv.FormatInt(unit(r.Duration()), 10))
		}), nil
	case "k":
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) {
			// Apache logs c->keepalives, which counts only the responses
			// that kept the connection open: a last request whose
			// response closes it logs one less than its position.
			n := r.TransDepth - 1
			if r.HasResponse && responseCloses(r) {
				n--
			}
			return known(strconv.Itoa(max(n, 0)))
		}), nil
	case "X":
		return raw(func(r *Record, _ string, _ *time.Location) (string, bool) {
			switch {
			case !r.HasResponse || !r.ResponseComplete:
				return known("X")
			case responseCloses(r):
				return known("-")
			}
			return known("+")
		}), nil
	case "v", "V":
		// The configured ServerName is not on the wire: both render the
		// request's Host as Apache's UseCanonicalName Off does for %V.
		return esc(func(r *Record, _ string, _ *time.Location) (string, bool) {
			v := r.Vhost()
			if strings.HasPrefix(v, "[") { // Apache logs an IPv6 literal without brackets
				if end := strings.IndexByte(v, ']'); end > 0 {
					v = v[1:end]
				}
			}
			return v, r.HasHost
		}), nil
	case "i":
		if arg == "" {
			return apacheValue{}, fmt.Errorf("log format: %%i needs a header name: %%{User-Agent}i")
		}
		v := esc(func(r *Record, arg string, _ *time.Location) (string, bool) {
			return r.RequestHeader(arg, ", ") // Apache merges repeats with ", "
		})
		v.headers = !factHeader(arg)
		return v, nil
	case "o":
		if arg == "" {
			return apacheValue{}, fmt.Errorf("log format: %%o needs a header name: %%{Content-Type}o")
		}
		v := esc(func(r *Record, arg string, _ *time.Location) (string, bool) {
			switch {
			case strings.EqualFold(arg, "Content-Type"):
				// r->content_type without parameters (ap_field_noparam)
				ct, ok := firstHeader(r.ResponseHeaders, arg)
				if i := strings.IndexByte(ct, ';'); i >= 0 {
					ct = strings.TrimRight(ct[:i], " \t")
				}
				return ct, ok
			case strings.EqualFold(arg, "Set-Cookie"):
				return r.ResponseHeader(arg, ", ")
			}
			return firstHeader(r.ResponseHeaders, arg)
		})
		v.headers = true
		return v, nil
	case "C":
		if arg == "" {
			return apacheValue{}, fmt.Errorf("log format: %%C needs a cookie name: %%{session}C")
		}
		return apacheValue{escape: true, headers: true, get: func(r *Record, arg string, _ *time.Location) (string, bool) {
			cookies, ok := r.RequestHeader("Cookie", ", ")
			if !ok {
				return "", false
			}
			return cookieValue(cookies, arg, true)
		}}, nil
	}
	return apacheValue{}, fmt.Errorf("log format: unrecognized Apache LogFormat directive %%%s", letter)
}

// factHeader reports whether the fact table carries the header itself.
func factHeader(name string) bool {
	switch strings.ToLower(name) {
	case "host", "user-agent", "referer", "x-forwarded-for":
		return true
	}
	return false
}

// responseCloses reports whether the response announced the end of the
// connection ("Connection: close", or HTTP/1.0 without keep-alive).
func responseCloses(r *Record) bool {
	conn, ok := r.ResponseHeader("Connection", ", ")
	if ok {
		return strings.Contains(strings.ToLower(conn), "close")
	}
	return r.ResponseVersion == "HTTP/1.0"
}

// canonicalPort is Apache's ap_get_server_port with UseCanonicalName Off:
// the port of the Host header when it names one, else the local port.
func canonicalPort(r *Record) int {
	if r.HasHost {
		h := r.Host
		if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
			if p, err := strconv.Atoi(h[i+1:]); err == nil && p > 0 && p < 65536 {
				return p
			}
		}
	}
	return r.ServerPort
}

// apacheURIPath approximates Apache's r->uri: the path of the request
// target (absolute-form reduced to its path), percent-decoded, with dot
// segments removed (ap_unescape_url + ap_getparents).
func apacheURIPath(target string) string {
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	if i := strings.Index(target, "://"); i >= 0 && !strings.HasPrefix(target, "/") {
		rest := target[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			target = rest[j:]
		} else {
			target = "/"
		}
	}
	return removeDotSegments(percentDecode(target))
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// percentDecode decodes %HH escapes; malformed escapes stay as they are.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = append(b, hi<<4|lo)
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

// removeDotSegments is RFC 3986 section 5.2.4 on a path.
func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	var out []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch s {
		case ".":
			if i == len(segs)-1 {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if i == len(segs)-1 {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return strings.Join(out, "/")
}

// apacheTime implements %t and %{format}t: "[%d/%b/%Y:%H:%M:%S %z]" by
// default, else an strftime format or sec, msec, usec, msec_frac,
// usec_frac, each optionally prefixed by begin: (the request was received,
// the default) or end: (the line was written).
func apacheTime(arg string) func(r *Record, _ string, loc *time.Location) (string, bool) {
	at := func(r *Record) time.Time { return r.RequestTS }
	if rest, ok := strings.CutPrefix(arg, "begin:"); ok {
		arg = rest
	} else if rest, ok := strings.CutPrefix(arg, "end:"); ok {
		arg = rest
		at = func(r *Record) time.Time { return r.LogTime() }
	}
	stamp := func(r *Record) time.Time {
		t := at(r)
		if t.IsZero() {
			t = r.LogTime()
		}
		return t
	}
	switch arg {
	case "":
		return func(r *Record, _ string, loc *time.Location) (string, bool) {
			return known(stamp(r).In(loc).Format("[02/Jan/2006:15:04:05 -0700]"))
		}
	case "sec":
		return func(r *Record, _ string, _ *time.Location) (string, bool) {
			return known(strconv.FormatInt(stamp(r).Unix(), 10))
		}
	case "msec":
		return func(r *Record, _ string, _ *time.Location) (string, bool) {
			return known(strconv.FormatInt(stamp(r).UnixMilli(), 10))
		}
	case "usec":
		return func(r *Record, _ string, _ *time.Location) (string, bool) {
			return known(strconv.FormatInt(stamp(r).UnixMicro(), 10))
		}
	case "msec_frac":
		return func(r *Record, _ string, _ *time.Location) (string, bool) {
			return known(fmt.Sprintf("%03d", stamp(r).Nanosecond()/1e6))
		}
	case "usec_frac":
		return func(r *Record, _ string, _ *time.Location) (string, bool) {
			return known(fmt.Sprintf("%06d", stamp(r).Nanosecond()/1e3))
		}
	}
	layout := arg
	return func(r *Record, _ string, loc *time.Location) (string, bool) {
		return known(string(strftime(nil, layout, stamp(r).In(loc))))
	}
}
