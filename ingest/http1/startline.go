package http1

import "bytes"

// Start lines: validation of request and status lines, and the cheap
// prefix checks that let the parser reject non-HTTP bytes early and find the
// next message when resynchronising.

// maxMethodLen bounds the method token; a longer first word is not HTTP.
const maxMethodLen = 32

// isTchar reports whether c may appear in a token (RFC 9110 5.6.2).
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// isStrictMethodChar is what a method may contain when resynchronising:
// real methods are upper-case letters (plus '-' and '_' in extensions), and
// being strict keeps body bytes from looking like requests.
func isStrictMethodChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || c == '-' || c == '_'
}

// prefixVerdict says what a partial first line can still become.
type prefixVerdict uint8

const (
	prefixMaybe prefixVerdict = iota // not decided yet
	prefixNo                         // cannot be a start line
)

// checkPrefix looks at the first bytes of a would-be start line. strict is
// used when resynchronising: only "METHOD SP" with an upper-case method, or
// "HTTP/1." for responses.
func checkPrefix(b []byte, resp, strict bool) prefixVerdict {
	if resp {
		const p = "HTTP/1."
		n := len(b)
		if !strict && n > 5 {
			n = 5 // lenient: any "HTTP/" line is validated in full later
		}
		if n > len(p) {
			n = len(p)
		}
		if !bytes.EqualFold(b[:n], []byte(p[:n])) || (strict && string(b[:n]) != p[:n]) {
			return prefixNo // lenient: "http/1.1 200" is accepted, as servers and Zeek do
		}
		return prefixMaybe
	}
	for i, c := range b {
		if c == ' ' {
			if i == 0 {
				return prefixNo
			}
			return prefixMaybe
		}
		if i >= maxMethodLen {
			return prefixNo
		}
		if strict && !isStrictMethodChar(c) || !isTchar(c) {
			return prefixNo
		}
	}
	return prefixMaybe
}

// trimEOL removes the line terminator and reports whether it was a bare LF.
func trimEOL(line string) (string, bool) {
	if len(line) > 0 && line[len(line)-1] == '\n' {
		line = line[:len(line)-1]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			return line[:len(line)-1], false
		}
		return line, true
	}
	return line, false
}

// trimEOLBytes is trimEOL for a byte slice.
func trimEOLBytes(line []byte) ([]byte, bool) {
	if len(line) > 0 && line[len(line)-1] == '\n' {
		line = line[:len(line)-1]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			return line[:len(line)-1], false
		}
		return line, true
	}
	return line, false
}

// isHTTP1Version reports whether v is "HTTP/1.x" with x a digit.
func isHTTP1Version(v []byte) bool {
	return len(v) == 8 && string(v[:7]) == "HTTP/1." && '0' <= v[7] && v[7] <= '9'
}

// requestLine locates the parts of a request line (offsets into the line
// without its terminator), so the line can be validated on the receive
// buffer and sliced later from the message's single string copy.
type requestLine struct {
	methodEnd    int
	targetStart  int
	targetEnd    int
	versionStart int // -1 for HTTP/0.9
	versionEnd   int
	http09       bool
	// Leniencies taken (each becomes an anomaly on the exchange).
	missingURI  bool // no target: AnomMissingURI
	badVersion  bool // version not exactly "HTTP/1.x": AnomBadVersion
	http09Other bool // HTTP/0.9 with a method other than GET: AnomHTTP09Method
	// unverified: HTTP/0.9 with an unregistered method, a request only if
	// a header line follows (see half.after09).
	unverified bool
}

// parseRequestLine validates "METHOD SP target SP HTTP/1.x". It is lenient
// about extra spaces around the target (the target is what lies between the
// first and the last space). Unless strict (resynchronising), it also takes
// what real servers and Zeek take, recording each leniency in the result:
//
//   - no target ("OPTIONS HTTP/1.1", "GET  HTTP/1.1"): an empty target;
//   - a version that is not exactly "HTTP/1.x" but starts with "HTTP/1"
//     in any case ("GET / HTTP/1.", "GET / http/1.1", "GET / HTTP/1.1 x"):
//     the target ends at the first blank before it, as in Zeek;
//   - no version at all: HTTP/0.9 ("GET /path"), for GET with any
//     non-empty target, and for other methods of three or more characters
//     (Zeek's rule) with a target without blanks ("POST /x", "GET
//     /HTTP/1.1" with its missing space). Without a version only the
//     method says the line is HTTP, so an unregistered method is marked
//     unverified: the caller takes the line as a request only if a header
//     line follows it (FTP's "CWD /pub" is not HTTP; Zeek, which only
//     looks at connections it already believes are HTTP, needs no proof).
func parseRequestLine(line []byte, strict bool) (requestLine, bool) {
	var rl requestLine
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || sp > maxMethodLen {
		return rl, false
	}
	for _, c := range line[:sp] {
		if strict && !isStrictMethodChar(c) || !isTchar(c) {
			return rl, false
		}
	}
	rl.methodEnd = sp
	rest := sp + 1
	last := bytes.LastIndexByte(line, ' ')
	var end int
	if last >= rest && isHTTP1Version(line[last+1:]) {
		rl.versionStart, rl.versionEnd = last+1, len(line)
		end = last
	} else if strict {
		return rl, false
	} else if !rl.lenientTail(line, rest) {
		return rl, false
	} else {
		end = rl.targetEnd
	}
	if rl.versionStart >= 0 {
		rest, end = trimBlanks(line, rest, end)
		if rest == end {
			// An empty target with a version ("OPTIONS  HTTP/1.0") is kept as
			// an empty target, as Zeek logs it, rather than rejected.
			rl.missingURI = true
		}
		rl.targetStart, rl.targetEnd = rest, end
	}
	for _, c := range line[rl.targetStart:rl.targetEnd] {
		if c < 0x20 || c == 0x7f {
			return rl, false
		}
	}
	return rl, true
}

// lenientTail parses what follows "METHOD SP" when the line does not end
// in " HTTP/1.x": a malformed version, a missing target or HTTP/0.9 (see
// parseRequestLine). It sets the version (and, for HTTP/0.9, the target)
// and reports whether the line is acceptable.
func (rl *requestLine) lenientTail(line []byte, rest int) bool {
	t, e := trimBlanks(line, rest, len(line))
	// The version is the first word starting with "HTTP/1" that follows a
	// blank (or the method itself: no target).
	for v := t; v < len(line); v++ {
		if v > t && line[v-1] != ' ' && line[v-1] != '\t' || !hasHTTP1Prefix(line[v:]) {
			continue
		}
		ve := v
		for ve < len(line) && line[ve] != ' ' && line[ve] != '\t' {
			ve++
		}
		rl.versionStart, rl.versionEnd = v, ve
		rl.badVersion = !isHTTP1Version(line[v:ve]) || ve != len(line)
		rl.targetEnd = v
		return true
	}
	// HTTP/0.9: "METHOD target".
	if t == e {
		return false
	}
	method := line[:rl.methodEnd]
	if string(method) != "GET" {
		if len(method) < 3 || bytes.ContainsAny(line[t:e], " \t") {
			return false
		}
		_, known := methodString(method)
		rl.http09Other, rl.unverified = true, !known
	}
	rl.versionStart, rl.versionEnd = -1, -1
	rl.http09 = true
	rl.targetStart, rl.targetEnd = t, e
	return true
}

// hasHTTP1Prefix reports whether b starts with "HTTP/1" in any case, not
// followed by another digit ("HTTP/10" is not HTTP/1).
func hasHTTP1Prefix(b []byte) bool {
	return len(b) >= 6 && bytes.EqualFold(b[:6], []byte("HTTP/1")) && (len(b) == 6 || b[6] < '0' || b[6] > '9')
}

// trimBlanks narrows [start, end) of line by the SP and HTAB at both ends.
func trimBlanks(line []byte, start, end int) (int, int) {
	for start < end && (line[start] == ' ' || line[start] == '\t') {
		start++
	}
	for end > start && (line[end-1] == ' ' || line[end-1] == '\t') {
		end--
	}
	return start, end
}

// isHTTP10 reports whether a status line's version is HTTP/1.0 or older
// ("HTTP/0.9" in the 1.x syntax), in any case.
func isHTTP10(v string) bool {
	return len(v) == 8 && (v[5] == '0' || v[5] == '1' && v[7] == '0')
}

// isHTTP1VersionFold is isHTTP1Version ignoring the case of "HTTP".
func isHTTP1VersionFold(v []byte) bool {
	return len(v) == 8 && bytes.EqualFold(v[:7], []byte("HTTP/1.")) && '0' <= v[7] && v[7] <= '9'
}

// parseStatusLine validates "HTTP/1.x SP 3DIGIT [SP reason]" ("http/1.x"
// too: some servers send it and clients accept it) and returns the status
// and where the reason starts. Unless strict (resynchronising), it also
// takes what browsers take and what Zeek and tshark decode (the HTTP Evader
// corpus serves a body behind each of these), returning the anomaly:
//
//   - another version in the same syntax ("HTTP/2.0 200 ok", "HTTP/0.9
//     200 ok"): AnomBadVersion, parsed as HTTP/1.x;
//   - a tab or several blanks before the status ("HTTP/1.1  200 ok"), a status
//     followed by more than a blank ("HTTP/1.1 0204 ok"): the status is
//     the first three digits, as Zeek's HTTP_ReplyCode and tshark read it
//     (20 here), AnomBadStatusLine.
//
// Three digits are required either way ("HTTP/1.1 2\x0000 ok" is not a
// status line).
func parseStatusLine(line []byte, strict bool) (status, reasonStart int, anomaly string, ok bool) {
	if len(line) < 12 || line[8] != ' ' && (strict || line[8] != '\t') {
		return 0, 0, "", false
	}
	if !isHTTP1VersionFold(line[:8]) {
		v := line[:8]
		if strict || !bytes.EqualFold(v[:5], []byte("HTTP/")) || !isDigit(v[5]) || v[6] != '.' || !isDigit(v[7]) {
			return 0, 0, "", false
		}
		anomaly = AnomBadVersion
	}
	i := 9
	for !strict && i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if (i > 9 || line[8] != ' ') && anomaly == "" {
		anomaly = AnomBadStatusLine
	}
	if len(line) < i+3 {
		return 0, 0, "", false
	}
	for _, c := range line[i : i+3] {
		if !isDigit(c) {
			return 0, 0, "", false
		}
		status = status*10 + int(c-'0')
	}
	i += 3
	switch {
	case i == len(line):
		return status, i, anomaly, true
	case line[i] == ' ' || line[i] == '\t':
		return status, i + 1, anomaly, true
	case strict:
		return 0, 0, "", false
	}
	if anomaly == "" {
		anomaly = AnomBadStatusLine
	}
	for i < len(line) && line[i] != ' ' && line[i] != '\t' {
		i++
	}
	return status, min(i+1, len(line)), anomaly, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// knownMethods are the registered methods (RFC 9110 and the IANA method
// registry's common WebDAV ones, plus PURGE which caches use widely).
var knownMethods = [...]string{
	"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH",
	"REPORT", "MKACTIVITY", "CHECKOUT", "MERGE", "MKCALENDAR", "ACL", "BIND",
	"UNBIND", "REBIND", "LINK", "UNLINK", "VERSION-CONTROL", "CHECKIN",
	"UNCHECKOUT", "MKWORKSPACE", "UPDATE", "LABEL", "BASELINE-CONTROL",
	"ORDERPATCH", "PRI", "QUERY", "PURGE",
}

// methodString returns m as a string, without allocating for registered
// methods, and whether it is registered.
func methodString(m []byte) (string, bool) {
	for _, k := range knownMethods {
		if k == string(m) {
			return k, true
		}
	}
	return string(m), false
}

// trimSpace removes leading and trailing SP and HTAB (not other spaces:
// header values keep everything else as sent).
func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
