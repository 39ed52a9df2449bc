package logs

const upperHex = "0123456789ABCDEF"

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
