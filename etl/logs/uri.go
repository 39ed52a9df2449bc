package logs

import "strings"

// normalizedURI is nginx's $uri for a request target: the path without the
// arguments, percent-decoded, with "//" merged and "." and ".." segments
// resolved (ngx_http_parse_complex_uri with merge_slashes on). An internal
// redirect inside nginx (index, try_files, rewrite) changes $uri after the
// request was received; the wire cannot show that, so spanlake renders the
// URI as received. An absolute-form target yields its path.
func normalizedURI(target string) string {
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	if i := strings.Index(target, "://"); i > 0 && !strings.HasPrefix(target, "/") {
		rest := target[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			target = rest[j:]
		} else {
			target = "/"
		}
	}
	decoded := make([]byte, 0, len(target))
	for i := 0; i < len(target); i++ {
		c := target[i]
		if c == '%' && i+2 < len(target) {
			hi, ok1 := unhex(target[i+1])
			lo, ok2 := unhex(target[i+2])
			if ok1 && ok2 {
				decoded = append(decoded, hi<<4|lo)
				i += 2
				continue
			}
		}
		decoded = append(decoded, c)
	}
	var out []string
	for _, seg := range strings.Split(string(decoded), "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	p := "/" + strings.Join(out, "/")
	if len(out) > 0 && (strings.HasSuffix(string(decoded), "/") || strings.HasSuffix(string(decoded), "/.") || strings.HasSuffix(string(decoded), "/..")) {
		p += "/"
	}
	return p
}
