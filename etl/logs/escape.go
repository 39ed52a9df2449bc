package logs

import "unicode/utf8"

const (
	upperHex = "0123456789ABCDEF"
	lowerHex = "0123456789abcdef"
)

// nginxEscape appends s escaped as nginx's default log escaping does
// (ngx_http_log_escape): '"', '\\', bytes below 0x20 and from 0x7f up become
// \xHH with upper-case hex; everything else is copied.
func nginxEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			dst = append(dst, '\\', 'x', upperHex[c>>4], upperHex[c&0xf])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// nginxJSONEscape appends s escaped as nginx's escape=json does
// (ngx_escape_json): '"' and '\\' get a backslash; \n \r \t \b \f their C
// escapes; other bytes below 0x20 become \u00HH (upper-case hex: nginx
// writes 'A' + ch - 10); 0x7f and
// bytes from 0x80 up are copied unchanged, so invalid UTF-8 stays invalid.
func nginxJSONEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x1f {
			if c == '\\' || c == '"' {
				dst = append(dst, '\\')
			}
			dst = append(dst, c)
			continue
		}
		switch c {
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', upperHex[c>>4], upperHex[c&0xf])
		}
	}
	return dst
}

// apacheEscape appends s escaped as Apache httpd's ap_escape_logitem
// (server/util.c) does: '"' and '\\' get a backslash; \b \n \r \t \v their
// C escapes; every other byte that is not printable ASCII (below 0x20,
// 0x7f, 0x80 and up) becomes \xhh with lower-case hex. A NUL byte, which
// ends the C string in Apache, is escaped as \x00 instead of truncating.
func apacheEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			dst = append(dst, c)
			continue
		}
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\v':
			dst = append(dst, '\\', 'v')
		default:
			dst = append(dst, '\\', 'x', lowerHex[c>>4], lowerHex[c&0xf])
		}
	}
	return dst
}

// w3cEscape appends s as a W3C extended log field: IIS writes spaces as '+'
// and an empty value as '-'. IIS (http.sys) rejects requests with control
// bytes before they are logged, so it has no rule for them; spanlake
// percent-encodes control bytes, 0x7f, '%' is left as is, and bytes that
// are not valid UTF-8 as %HH (upper case), keeping valid UTF-8 (IIS logs
// UTF-8 by default) — a field can never contain a separator or a newline.
func w3cEscape(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '-')
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ':
			dst = append(dst, '+')
			i++
		case c < 0x20 || c == 0x7f:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&0xf])
			i++
		case c < 0x80:
			dst = append(dst, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 || r == 0x2028 || r == 0x2029 || r == 0x85 {
				// invalid byte, or a Unicode line separator some viewers break on
				for j := 0; j < max(n, 1); j++ {
					b := s[i+j]
					dst = append(dst, '%', upperHex[b>>4], upperHex[b&0xf])
				}
				i += max(n, 1)
				continue
			}
			dst = append(dst, s[i:i+n]...)
			i += n
		}
	}
	return dst
}
