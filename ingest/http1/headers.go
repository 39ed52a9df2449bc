package http1

import "strings"

// Header blocks: splitting header lines into Headers, and reading the
// framing headers (Content-Length, Transfer-Encoding) out of them.

// parseHeaderLines appends the header lines of block (which holds whole
// lines, each ending in LF, the terminating empty line excluded or not) to
// m.Headers. The Header strings alias block, which the caller made a string
// copy of, so one allocation holds every name and value of the message.
// limit is the total number of headers m may hold. Framing headers
// (Content-Length, Transfer-Encoding) beyond the limit are appended to
// *dropped unless it is nil: the body must be delimited as the receiver of
// the message delimited it, whatever is kept.
func parseHeaderLines(block string, m *Message, limit int, anoms []string, dropped *[]Header) []string {
	for len(block) > 0 {
		nl := strings.IndexByte(block, '\n')
		var raw string
		if nl < 0 {
			raw, block = block, ""
		} else {
			raw, block = block[:nl+1], block[nl+1:]
		}
		line, bare := trimEOL(raw)
		if bare {
			anoms = addAnomaly(anoms, AnomBareLF)
		}
		if line == "" {
			continue // the empty line ending the block
		}
		if line[0] == ' ' || line[0] == '\t' {
			// obs-fold: continuation of the previous value (RFC 9112 5.2).
			anoms = addAnomaly(anoms, AnomObsFold)
			if n := len(m.Headers); n > 0 && m.DroppedHeaders == 0 {
				if v := trimSpace(line); v != "" {
					h := &m.Headers[n-1]
					if h.Value == "" {
						h.Value = v
					} else {
						h.Value = h.Value + " " + v
					}
				}
			}
			continue
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 {
			continue // not a header line; servers ignore or reject it
		}
		name := line[:colon]
		if c := name[len(name)-1]; c == ' ' || c == '\t' {
			anoms = addAnomaly(anoms, AnomSpaceBeforeColon)
			name = trimSpace(name)
			if name == "" {
				continue
			}
		}
		if len(m.Headers) >= limit {
			m.DroppedHeaders++
			anoms = addAnomaly(anoms, AnomTooManyHeaders)
			if dropped != nil && (equalFold(name, "Content-Length") || equalFold(name, "Transfer-Encoding")) {
				*dropped = append(*dropped, Header{Name: name, Value: trimSpace(line[colon+1:])})
			}
			continue
		}
		m.Headers = append(m.Headers, Header{Name: name, Value: trimSpace(line[colon+1:])})
	}
	return anoms
}

// countLines is the number of LF in b: the capacity that makes Headers one
// allocation.
func countLines(s string) int {
	return strings.Count(s, "\n")
}

// framing is how a message body is delimited.
type framing uint8

const (
	frameNone    framing = iota // no body
	frameLength                 // Content-Length
	frameChunked                // chunked transfer coding
	frameClose                  // until the connection closes (responses only)
)

// bodyFraming reads the framing headers of hs. isResp selects the rule for
// a message without either header (RFC 9112 6.3: requests have no body,
// responses run until close); resp10 says the message is a response of
// HTTP/1.0 or older. It returns the content length for frameLength and
// appends anomalies.
func bodyFraming(hs []Header, isResp, resp10 bool, anoms []string) (framing, int64, []string) {
	var (
		chunked, te   bool
		haveCL, badCL bool
		cl            int64
	)
	for i := range hs {
		h := &hs[i]
		switch {
		case equalFold(h.Name, "Transfer-Encoding"):
			te = true
			// chunked must be the final coding; later headers extend the list.
			// A coding's parameters (";...") are not part of its name.
			v := h.Value
			if c := strings.LastIndexByte(v, ','); c >= 0 {
				v = v[c+1:]
			}
			if c := strings.IndexByte(v, ';'); c >= 0 {
				v = v[:c]
			}
			chunked = equalFold(trimSpace(v), "chunked")
		case equalFold(h.Name, "Content-Length"):
			v := h.Value
			for v != "" {
				part := v
				if c := strings.IndexByte(v, ','); c >= 0 {
					part, v = v[:c], v[c+1:]
				} else {
					v = ""
				}
				n, ok := parseContentLength(trimSpace(part))
				switch {
				case !ok:
					badCL = true
				case !haveCL:
					haveCL, cl = true, n
				case n != cl:
					anoms = addAnomaly(anoms, AnomConflictingContentLength)
				}
			}
		}
	}
	if badCL {
		anoms = addAnomaly(anoms, AnomBadContentLength)
	}
	if chunked && (haveCL || badCL) {
		anoms = addAnomaly(anoms, AnomCLAndChunked)
	}
	if te && resp10 {
		// RFC 9112 6.1: a Transfer-Encoding in an HTTP/1.0 message makes
		// its framing faulty, Content-Length included; the response runs
		// to the close, as browsers read it. (A request keeps its framing:
		// there is no reading a request to the close.)
		return frameClose, 0, addAnomaly(anoms, AnomTEInHTTP10)
	}
	if chunked {
		return frameChunked, 0, anoms
	}
	if te {
		// A transfer coding we cannot delimit: a response runs to close, a
		// request has no body we could find (a server answers 400).
		if isResp {
			return frameClose, 0, anoms
		}
		return frameNone, 0, anoms
	}
	if haveCL && !badCL || haveCL && !isResp {
		if cl == 0 {
			return frameNone, 0, anoms
		}
		return frameLength, cl, anoms
	}
	if isResp {
		return frameClose, 0, anoms
	}
	return frameNone, 0, anoms
}

// parseContentLength parses 1*DIGIT, refusing values that do not fit in an
// int64 (18 digits is far beyond any real body).
func parseContentLength(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseChunkSize parses the chunk-size line (without its line terminator):
// hex digits, optional whitespace, optional ";extensions". lenient reports
// blanks the grammar does not allow but browsers take (HTTP Evader):
// SP/HTAB before the digits, VT, FF or CR after them.
func parseChunkSize(line []byte) (size int64, lenient, ok bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	lenient = i > 0
	var n int64
	digits := 0
	for ; i < len(line); i++ {
		c := line[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			goto rest
		}
		if digits >= 15 {
			return 0, false, false // would overflow; no real chunk is that big
		}
		n = n<<4 | int64(d)
		digits++
	}
rest:
	if digits == 0 {
		return 0, false, false
	}
	for ; i < len(line); i++ {
		switch line[i] {
		case ' ', '\t':
			continue
		case '\v', '\f', '\r':
			lenient = true
		case ';':
			return n, lenient, true // chunk extensions are ignored
		default:
			return 0, false, false
		}
	}
	return n, lenient, true
}
