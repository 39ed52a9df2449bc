package http1

import (
	"bytes"
	"slices"
	"time"
)

// half is the incremental parser of one direction: requests (resp false) or
// responses. It is a state machine fed by arbitrary chunks; the only bytes
// it copies are the header block being assembled (head, bounded by
// MaxHeaderBytes), a chunk-size line (line, bounded by maxChunkLine) and the
// captured part of bodies. Bodies are otherwise skipped by count.
type half struct {
	c     *ConnParser
	resp  bool
	limit int // body bytes kept per message

	st state

	// Header block assembly. strict is set while resynchronising: the
	// block must then start with a strict start line.
	head      []byte
	lineDone  bool // the start line is complete (and valid)
	lineStart int  // offset in head of the line being assembled
	firstTs   time.Time
	strict    bool
	rl        requestLine
	reasonAt  int // responses: where the reason starts in the start line

	// Requests: the request being assembled is HTTP/0.9 and the line after
	// its request line, which says whether a header block follows, is not
	// complete yet (see after09). h09End is when the request line ended,
	// h09Next when the first byte after it came.
	h09     bool
	h09End  time.Time
	h09Next time.Time

	// Responses: the raw reply to an HTTP/0.9 request is being matched
	// against "HTTP/" (AnomHTTP09StatusLine): 1 + bytes matched so far, 0
	// when done or not a 0.9 reply.
	probe09 int8

	carry   []byte      // stScan: the tail of the previous chunk
	carryTs []time.Time // capture time of each carry byte

	line   []byte // chunk-size line being assembled
	crSeen bool   // stChunkEnd: the CR after chunk data was seen
	remain int64  // body or chunk bytes still to come

	p      *pending // exchange of the current message
	msg    *Message // &p.req.Message or &p.rsp.Message
	capOff bool     // body capture stopped (a gap made the copy wrong)
	cont   bool     // responses: a 1xx was seen, the final response follows

	// Request side after a CONNECT or Upgrade request: the bytes are held
	// until the response says whether the connection became a tunnel.
	holdNext bool     // the request being parsed asks for a tunnel
	holdFor  *pending // the exchange whose response decides
	holdBuf  []byte
	holdTs   time.Time
	holdN    int64 // bytes held, lost ones included
	holdLost bool
	probeTs  []time.Time // stTunnelProbe: capture time of each byte in holdBuf

	// stSkipHead: the rest of an oversized header (or trailer) block is
	// skipped up to its empty line (see oversized). skipLen is the length
	// of the line being skipped, skipName its first bytes; skipFraming says
	// a Content-Length or Transfer-Encoding line was seen in the block.
	skipName    [18]byte
	skipLen     int
	skipFraming bool
	skipTrailer bool

	pendAnoms []string  // anomalies for the next message of this side
	lastTs    time.Time // of the last Data or Gap call
}

type state uint8

const (
	stIdle        state = iota // between messages (CR/LF skipped)
	stHead                     // assembling start line and headers in head
	stBody                     // Content-Length body, remain left
	stChunkSize                // assembling a chunk-size line
	stChunkData                // chunk data, remain left
	stChunkEnd                 // CRLF after chunk data
	stTrailer                  // assembling the trailer block in head
	stBodyClose                // body until the connection closes
	stScan                     // resynchronising: looking for a start line
	stTunnel                   // upgraded: count only
	stHold                     // requests: waiting for the answer to CONNECT/Upgrade
	stSkipHead                 // the rest of an oversized header block, up to its empty line
	stTunnelProbe              // requests: are the first CONNECT tunnel bytes HTTP? (connect_tunnel.go)
)

// maxChunkLine bounds a chunk-size line with its extensions.
const maxChunkLine = 4096

// inMessage reports whether a message of this side is under way (not
// between messages, not resynchronising).
func (h *half) inMessage() bool {
	switch h.st {
	case stIdle:
		return h.cont
	case stHead:
		return h.lineDone && !h.strict || h.cont
	case stScan, stTunnel, stHold, stTunnelProbe:
		return false
	}
	return true
}

// resyncing reports whether the side lost its position and is looking for
// the next start line.
func (h *half) resyncing() bool {
	return h.st == stScan || h.st == stHead && h.strict
}

func (h *half) data(p []byte, ts time.Time) {
	h.lastTs = ts
	for len(p) > 0 {
		switch h.st {
		case stIdle:
			if h.resp && !h.cont && h.c.upgraded == nil && h.c.nextIsHTTP09() {
				// Every byte is the reply, line breaks included.
				h.startHTTP09Response(ts)
				continue
			}
			i := 0
			for i < len(p) && (p[i] == '\r' || p[i] == '\n') {
				i++
			}
			p = p[i:]
			if len(p) == 0 {
				return
			}
			if h.c.upgraded != nil && !h.cont {
				h.st = stTunnel
				continue
			}
			h.st = stHead
		case stHead:
			p = p[h.headData(p, ts):]
		case stBody, stChunkData:
			n := min(int64(len(p)), h.remain)
			h.body(p[:n], true)
			h.remain -= n
			p = p[n:]
			if h.remain == 0 {
				if h.st == stBody {
					h.finish(ts, true)
				} else {
					h.st, h.crSeen = stChunkEnd, false
				}
			}
		case stChunkSize:
			p = p[h.chunkSizeData(p, ts):]
		case stChunkEnd:
			switch {
			case p[0] == '\r' && !h.crSeen:
				h.crSeen = true
			case p[0] == '\n':
				if !h.crSeen {
					h.anomaly(AnomBareLF)
				}
				h.st = stChunkSize
			default:
				// Not the CRLF that must follow chunk data: the framing
				// is broken. The byte is looked at again as a possible
				// start line.
				h.abort(AnomBadChunkSize, ts)
				continue
			}
			h.msg.BodyWireBytes++
			p = p[1:]
		case stTrailer:
			p = p[h.trailerData(p, ts):]
		case stBodyClose:
			if h.probe09 > 0 {
				h.probeStatusLine(p)
			}
			h.body(p, true)
			h.msg.LastByte = ts
			return
		case stScan:
			p = p[h.scan(p, ts):]
		case stSkipHead:
			p = p[h.skipHead(p):]
		case stTunnel:
			h.c.tunnel(h.resp, int64(len(p)))
			return
		case stTunnelProbe:
			h.probeTunnel(p, ts)
			return
		case stHold:
			if h.holdN == 0 {
				h.holdTs = ts
			}
			h.holdN += int64(len(p))
			if len(h.holdBuf)+len(p) > h.c.cfg.MaxHeaderBytes {
				h.holdLost = true
			} else if !h.holdLost {
				h.holdBuf = append(h.holdBuf, p...)
			}
			return
		}
	}
}

// anomaly records code on the current exchange, or for the next one.
func (h *half) anomaly(code string) {
	if h.p != nil {
		h.p.ex.Anomalies = addAnomaly(h.p.ex.Anomalies, code)
		return
	}
	h.pendAnoms = addAnomaly(h.pendAnoms, code)
}

// headData assembles the start line and header block; it returns how many
// bytes of p it used.
func (h *half) headData(p []byte, ts time.Time) int {
	used := 0
	// A rejected first line that began in this call is scanned again from
	// its second byte: a real start line may hide inside it.
	startedHere := len(h.head) == 0
	skip := func(n int) int {
		if startedHere {
			return 1
		}
		return n
	}
	for len(p) > 0 {
		if h.lineDone {
			return used + h.headerLines(p, ts)
		}
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i+1]
		}
		if len(h.head) == 0 {
			h.firstTs = ts
		}
		if h.strict && !h.lineDone && len(h.head)+len(chunk) > maxProbeLine {
			h.reject()
			return skip(used + len(chunk))
		}
		if room := h.c.cfg.MaxHeaderBytes - len(h.head); len(chunk) > room {
			if !h.lineDone {
				h.reject() // not even a start line fits: not a usable message
				return skip(used + len(chunk))
			}
			// Keep exactly MaxHeaderBytes so the result does not depend
			// on how the bytes were cut; the rest is skipped.
			h.head = append(h.head, chunk[:room]...)
			h.oversized(ts, false)
			return used + room
		}
		h.head = append(h.head, chunk...)
		used += len(chunk)
		p = p[len(chunk):]
		if !h.lineDone {
			if checkPrefix(h.head, h.resp, h.strict) == prefixNo {
				h.reject()
				return skip(used)
			}
			if i < 0 {
				return used
			}
			if !h.startLine() {
				h.reject()
				return skip(used)
			}
			h.h09End = ts
			h.lineDone = true
			h.lineStart = len(h.head)
			continue
		}
	}
	return used
}

// headerLines assembles header lines after the start line: it finds the
// end of the block in p first and copies once, rather than line by line.
func (h *half) headerLines(p []byte, ts time.Time) int {
	if h.h09 {
		n, more := h.after09(p, ts)
		if !more {
			return n
		}
		return n + h.headerLines(p[n:], ts)
	}
	lineBeg := h.lineStart - len(h.head) // where the current line starts, relative to p
	end := -1
	for off := 0; off < len(p); {
		i := bytes.IndexByte(p[off:], '\n')
		if i < 0 {
			break
		}
		nl := off + i
		n := nl - lineBeg
		if n == 0 || n == 1 && h.byteAt(p, lineBeg) == '\r' {
			end = nl + 1
			break
		}
		lineBeg, off = nl+1, nl+1
	}
	take := len(p)
	if end >= 0 {
		take = end
	}
	if room := h.c.cfg.MaxHeaderBytes - len(h.head); take > room {
		// Keep exactly MaxHeaderBytes so the result does not depend on how
		// the bytes were cut; the rest is skipped.
		h.head = append(h.head, p[:room]...)
		h.oversized(ts, false)
		return room
	}
	h.head = append(h.head, p[:take]...)
	if end >= 0 {
		h.headerDone(ts)
		return take
	}
	h.lineStart = len(h.head) - (take - lineBeg)
	return take
}

// byteAt reads position i of the head block continued by p (i < 0 is in
// head).
func (h *half) byteAt(p []byte, i int) byte {
	if i < 0 {
		return h.head[len(h.head)+i]
	}
	return p[i]
}

// reject handles a first line that is not a start line: the bytes are
// skipped as non-HTTP data and the side resynchronises.
func (h *half) reject() {
	if h.cont {
		// A 1xx was not followed by a response: the exchange ends here.
		h.cont = false
		h.msg.Complete = false
		h.anomaly(AnomNonHTTPData)
		h.done()
	}
	if !h.strict {
		h.pendAnoms = addAnomaly(h.pendAnoms, AnomNonHTTPData)
		h.c.lost(h.resp, AnomNonHTTPData)
	}
	h.resync()
}

// resync starts looking for the next start line (resync.go).
func (h *half) resync() {
	h.head, h.carry, h.carryTs = h.head[:0], h.carry[:0], h.carryTs[:0]
	h.lineDone, h.lineStart, h.strict = false, 0, true
	h.p, h.msg, h.cont, h.h09 = nil, nil, false, false
	h.st = stScan
}

// startLine validates the complete first line in head and registers the
// message. It reports false when the line is not a start line.
func (h *half) startLine() bool {
	line, _ := trimEOLBytes(h.head)
	if h.resp {
		status, reasonAt, anomaly, ok := parseStatusLine(line, h.strict)
		if !ok {
			return false
		}
		h.reasonAt = reasonAt
		if !h.cont {
			h.p = h.c.pairResponse(h.firstTs)
			h.msg = &h.p.rsp.Message
			h.msg.FirstByte = h.firstTs
			h.takePending()
		}
		if anomaly != "" {
			h.anomaly(anomaly)
		}
		h.p.rsp.Status = status
		return true
	}
	rl, ok := parseRequestLine(line, h.strict)
	if !ok {
		return false
	}
	h.rl = rl
	if rl.unverified {
		// Not a request unless a header line follows (after09).
		h.h09 = true
		return true
	}
	h.newRequest(line)
	return true
}

// newRequest registers the request whose line (without terminator) h.rl
// describes.
func (h *half) newRequest(line []byte) {
	rl := &h.rl
	h.p = h.c.addRequest(h.firstTs, rl.http09)
	h.msg = &h.p.req.Message
	h.takePending()
	q := &h.p.req
	var known bool
	q.Method, known = methodString(line[:rl.methodEnd])
	if !known {
		h.anomaly(AnomUnknownMethod)
	}
	h.strict = false
	if rl.missingURI {
		h.anomaly(AnomMissingURI)
	}
	if rl.badVersion {
		h.anomaly(AnomBadVersion)
	}
	if rl.http09 {
		// The request may be this one line, or a header block may follow
		// (after09 decides on the next line).
		h.anomaly(AnomHTTP09)
		if rl.http09Other {
			h.anomaly(AnomHTTP09Method)
		}
		h.h09 = true
		if h.c.nextIsHTTP09() {
			h.c.half[1].cutOrphan()
		}
	}
}

// after09 looks at the line after an HTTP/0.9 request line. A header line
// or the empty line means a header block follows (it reports true, having
// taken that line into head, unless the block ended); anything else means
// the request was just its line: the request ends and the line is parsed
// again as the start of the next message. It returns how many bytes of p
// it used.
func (h *half) after09(p []byte, ts time.Time) (int, bool) {
	if len(h.head) == h.lineStart {
		h.h09Next = ts
	}
	i := bytes.IndexByte(p, '\n')
	n := len(p)
	if i >= 0 {
		n = i + 1
	}
	if len(h.head)+n > h.c.cfg.MaxHeaderBytes {
		// Too long for the header block: not one.
		h.reparse09(nil, ts)
		return 0, false
	}
	h.head = append(h.head, p[:n]...)
	if i < 0 {
		return n, false
	}
	line := h.head[h.lineStart:]
	if !isHeaderStart(line) {
		h.reparse09(line, ts)
		return n, false
	}
	l, _ := trimEOLBytes(line)
	if h.p == nil {
		if len(l) == 0 {
			h.reparse09(line, ts) // no proof that the line was a request
			return n, false
		}
		first, _ := trimEOLBytes(h.head[:h.lineStart])
		h.newRequest(first)
	}
	h.h09 = false
	h.lineStart = len(h.head)
	if len(l) == 0 {
		h.headerDone(ts) // an empty header block
		return n, false
	}
	h.anomaly(AnomHTTP09Headers)
	return n, true
}

// reparse09 ends the HTTP/0.9 request with its line, then parses next (a
// copy is made; nil means the bytes after the request line in head) as
// the start of what follows. now is the time of the current Data call.
func (h *half) reparse09(next []byte, now time.Time) {
	if next == nil {
		next = h.head[h.lineStart:]
	}
	next = bytes.Clone(next)
	h.end09()
	if len(next) > 0 {
		h.data(next, h.h09Next)
		h.lastTs = now
	}
}

// end09 ends an HTTP/0.9 request with its line (head holds the line and
// possibly the start of the next one, which is dropped). An unverified
// line (parseRequestLine) was no request: it is skipped as non-HTTP data.
func (h *half) end09() {
	h.h09 = false
	if h.p == nil {
		h.reject()
		return
	}
	q := &h.p.req
	line, bare := trimEOL(string(h.head[:h.lineStart]))
	if bare {
		h.anomaly(AnomBareLF)
	}
	q.Line, q.Target = line, line[h.rl.targetStart:h.rl.targetEnd]
	q.HeaderBytes = int64(h.lineStart)
	h.head, h.lineDone, h.lineStart = h.head[:0], false, 0
	h.finish(h.h09End, true)
}

// isHeaderStart reports whether line (with its terminator) is the empty
// line or starts like a header field: a token, optional blanks, a colon.
func isHeaderStart(line []byte) bool {
	l, _ := trimEOLBytes(line)
	i := 0
	for i < len(l) && isTchar(l[i]) {
		i++
	}
	if i == 0 {
		return len(l) == 0
	}
	for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
		i++
	}
	return i < len(l) && l[i] == ':'
}

// cutOrphan ends a response without request whose body is still arriving
// when an HTTP/0.9 request comes: what the server sends next is the 0.9
// reply (AnomHTTP09Cut).
func (h *half) cutOrphan() {
	if h.p == nil || h.p.ex.Request != nil || h.cont {
		return
	}
	switch h.st {
	case stBody, stChunkSize, stChunkData, stChunkEnd, stTrailer, stBodyClose:
		h.anomaly(AnomHTTP09Cut)
		h.finish(h.lastTs, false)
	}
}

// takePending moves anomalies recorded between messages to the exchange.
func (h *half) takePending() {
	for _, a := range h.pendAnoms {
		h.p.ex.Anomalies = addAnomaly(h.p.ex.Anomalies, a)
	}
	h.pendAnoms = h.pendAnoms[:0]
	h.strict = false
}

// salvage fills what the start line says into a message whose header
// block will never be complete, and counts the header bytes seen.
func (h *half) salvage() {
	if h.st != stHead || !h.lineDone || h.msg == nil {
		return
	}
	m := h.msg
	m.HeaderBytes += int64(len(h.head))
	nl := bytes.IndexByte(h.head, '\n')
	first, _ := trimEOL(string(h.head[:nl+1]))
	if h.resp {
		h.p.rsp.Version = first[:8]
		if h.reasonAt < len(first) {
			h.p.rsp.Reason = trimSpace(first[h.reasonAt:])
		}
	} else if q := &h.p.req; q.Line == "" {
		q.Line = first
		q.Target = first[h.rl.targetStart:h.rl.targetEnd]
		if h.rl.versionStart >= 0 {
			q.Version = first[h.rl.versionStart:h.rl.versionEnd]
		}
	}
	h.head = h.head[:0]
	h.lineDone = false
}

// headerDone parses the complete header block and chooses the body framing.
func (h *half) headerDone(ts time.Time) {
	block := string(h.head) // the one copy every string of the message aliases
	nl := bytes.IndexByte(h.head, '\n')
	first, bare := trimEOL(block[:nl+1])
	if bare {
		h.anomaly(AnomBareLF)
	}
	m := h.msg
	if h.resp && h.p.rsp.Status/100 == 1 && h.p.rsp.Status != 101 {
		h.p.rsp.InterimBytes += int64(len(block))
	} else {
		m.HeaderBytes += int64(len(block))
	}
	m.Headers = make([]Header, 0, min(countLines(block)-1, h.c.cfg.MaxHeaders))
	m.DroppedHeaders = 0
	var dropped []Header // framing headers beyond MaxHeaders
	h.p.ex.Anomalies = parseHeaderLines(block[nl+1:], m, h.c.cfg.MaxHeaders, h.p.ex.Anomalies, &dropped)
	framingHs := m.Headers
	if len(dropped) > 0 {
		framingHs = append(slices.Clip(m.Headers), dropped...)
	}
	h.head = h.head[:0]
	h.lineDone, h.lineStart = false, 0

	if !h.resp {
		q := &h.p.req
		q.Line = first
		q.Target = first[h.rl.targetStart:h.rl.targetEnd]
		if h.rl.versionStart >= 0 {
			q.Version = first[h.rl.versionStart:h.rl.versionEnd]
		}
		if q.Version == "HTTP/1.1" {
			if _, ok := m.Get("Host"); !ok {
				h.anomaly(AnomMissingHost)
			}
		}
		fr, n, anoms := bodyFraming(framingHs, false, false, h.p.ex.Anomalies)
		h.p.ex.Anomalies = anoms
		if !h.rl.http09 && (q.Method == "CONNECT" || hasUpgrade(m)) {
			h.holdNext = true
		}
		h.startBody(fr, n, ts)
		return
	}

	r := &h.p.rsp
	r.Version = first[:8]
	r.Reason = ""
	if h.reasonAt < len(first) {
		r.Reason = trimSpace(first[h.reasonAt:])
	}
	method := ""
	if h.p.ex.Request != nil {
		method = h.p.req.Method
	}
	switch {
	case r.Status == 101 || method == "CONNECT" && r.Status/100 == 2:
		h.c.upgrade(h.p)
		h.cont = false
		m.LastByte, m.Complete = ts, true
		h.st = stTunnel
		h.c.half[0].tunnelNow()
		h.p, h.msg = nil, nil
		return
	case r.Status/100 == 1:
		// Interim: folded into the exchange; the final response follows.
		r.Interim = r.Status
		h.cont = true
		h.st = stIdle
		return
	}
	h.cont = false
	p := h.p
	if method == "HEAD" || r.Status == 204 || r.Status == 304 {
		h.finish(ts, true)
	} else {
		fr, n, anoms := bodyFraming(framingHs, true, isHTTP10(r.Version), h.p.ex.Anomalies)
		h.p.ex.Anomalies = anoms
		h.startBody(fr, n, ts)
	}
	if rq := &h.c.half[0]; rq.st == stHold && rq.holdFor == p {
		rq.unhold() // no tunnel: the held bytes are requests after all
	}
}

// hasUpgrade reports whether a request asks to switch protocols.
func hasUpgrade(m *Message) bool {
	_, ok := m.Get("Upgrade")
	return ok
}

// startBody enters the body state for framing fr (n is the Content-Length).
func (h *half) startBody(fr framing, n int64, ts time.Time) {
	switch fr {
	case frameNone:
		h.finish(ts, true)
	case frameLength:
		h.remain, h.st = n, stBody
	case frameChunked:
		h.line, h.st = h.line[:0], stChunkSize
	case frameClose:
		h.st = stBodyClose
		h.msg.LastByte = ts
	}
}

// body accounts for body bytes b (after transfer decoding; for identity
// bodies they are also the wire bytes) and keeps the captured prefix.
func (h *half) body(b []byte, wire bool) {
	m := h.msg
	if wire {
		m.BodyWireBytes += int64(len(b))
	}
	m.BodyBytes += int64(len(b))
	if h.limit == 0 || h.capOff || len(m.Body) >= h.limit {
		return
	}
	if m.Body == nil {
		hint := int64(len(b))
		if h.st == stBody || h.st == stChunkData {
			hint = h.remain
		}
		m.Body = make([]byte, 0, min(int64(h.limit), max(hint, 512)))
	}
	room := h.limit - len(m.Body)
	m.Body = append(m.Body, b[:min(room, len(b))]...)
}

// chunkSizeData assembles and parses a chunk-size line.
func (h *half) chunkSizeData(p []byte, ts time.Time) int {
	i := bytes.IndexByte(p, '\n')
	chunk := p
	if i >= 0 {
		chunk = p[:i+1]
	}
	if len(h.line)+len(chunk) > maxChunkLine {
		h.abort(AnomBadChunkSize, ts)
		return 0
	}
	h.msg.BodyWireBytes += int64(len(chunk))
	h.line = append(h.line, chunk...)
	if i < 0 {
		return len(chunk)
	}
	ln, bare := trimEOLBytes(h.line)
	if bare {
		h.anomaly(AnomBareLF)
	}
	h.line = h.line[:0]
	if len(ln) == 0 {
		// An empty line where a chunk size belongs: skipped, as browsers
		// do (HTTP Evader).
		h.anomaly(AnomLenientChunkSize)
		return len(chunk)
	}
	size, lenient, ok := parseChunkSize(ln)
	if lenient {
		h.anomaly(AnomLenientChunkSize)
	}
	switch {
	case !ok:
		h.abort(AnomBadChunkSize, ts)
	case size == 0:
		h.head, h.lineStart, h.st = h.head[:0], 0, stTrailer
	default:
		h.remain, h.st = size, stChunkData
	}
	return len(chunk)
}

// trailerData assembles the trailer block after the last chunk; trailers
// are appended to Headers.
func (h *half) trailerData(p []byte, ts time.Time) int {
	used := 0
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i+1]
		}
		if len(h.head)+len(chunk) > h.c.cfg.MaxHeaderBytes {
			h.oversized(ts, true)
			return used
		}
		h.head = append(h.head, chunk...)
		h.msg.BodyWireBytes += int64(len(chunk))
		used += len(chunk)
		p = p[len(chunk):]
		if i < 0 {
			return used
		}
		if n := len(h.head) - h.lineStart; n == 1 || n == 2 && h.head[h.lineStart] == '\r' {
			if len(h.head) > n {
				m := h.msg
				before := len(m.Headers)
				h.p.ex.Anomalies = parseHeaderLines(string(h.head), m, h.c.cfg.MaxHeaders, h.p.ex.Anomalies, nil)
				m.Trailers = len(m.Headers) - before
			} else if n == 1 {
				h.anomaly(AnomBareLF)
			}
			h.head, h.lineStart = h.head[:0], 0
			h.finish(ts, true)
			return used
		}
		h.lineStart = len(h.head)
	}
	return used
}

// finalize closes the current message's numbers and hands it to the
// pairing logic. The state is left to the caller.
func (h *half) finalize(ts time.Time, complete bool) {
	p, m := h.p, h.msg
	if m == nil {
		return
	}
	h.salvage()
	if !ts.IsZero() {
		m.LastByte = ts
	}
	m.Complete = complete
	m.BodyTruncated = h.limit > 0 && m.BodyBytes > int64(len(m.Body))
	h.p, h.msg, h.capOff, h.cont = nil, nil, false, false
	h.h09, h.probe09 = false, 0
	if h.resp {
		if p != h.c.upgraded {
			h.c.responseDone(p)
		}
		return
	}
	if h.holdNext && complete {
		h.holdNext = false
		h.st, h.holdFor = stHold, p
		h.holdBuf, h.holdN, h.holdLost = h.holdBuf[:0], 0, false
		if h.c.upgraded != nil {
			h.tunnelNow()
		}
	}
	h.holdNext = false
	h.c.requestDone(p)
}

// finish ends the current message normally.
func (h *half) finish(ts time.Time, complete bool) {
	h.st = stIdle
	h.finalize(ts, complete)
}

// done ends the current message where it stands (already marked).
func (h *half) done() {
	h.finalize(time.Time{}, h.msg.Complete)
}

// abort ends the current message as incomplete because its framing was
// lost (code says how), and resynchronises.
func (h *half) abort(code string, ts time.Time) {
	h.anomaly(code)
	h.holdNext = false
	h.finalize(ts, false)
	h.c.lost(h.resp, code)
	h.resync()
}

// oversized handles a header block (trailer: a chunked trailer block)
// longer than MaxHeaderBytes; head holds the first MaxHeaderBytes of it.
// The message ends there, incomplete, with AnomOversizedHeader. Whether the
// position in the stream is lost depends on what follows the block:
//   - a trailer block ends the message;
//   - a request, or a response that has no body by its status (204, 304)
//     or its request (HEAD), ends with its header block unless a framing
//     header (Content-Length, Transfer-Encoding) says a body follows;
//
// in these cases the rest of the block is skipped up to its empty line
// (stSkipHead), looking only at the first bytes of each line for framing
// headers, and parsing goes on after it with the position kept. Otherwise
// (a framing header among the kept lines, a response with a body, an
// interim or 101 response, a CONNECT answer) the length of what follows is
// unknown and the side resynchronises (abort), as it does when a framing
// header turns up among the skipped lines.
func (h *half) oversized(ts time.Time, trailer bool) {
	from := 0
	if !trailer {
		from = bytes.IndexByte(h.head, '\n') + 1 // after the start line
	}
	h.skipLen, h.skipFraming, h.skipTrailer = 0, false, trailer
	h.skipLines(h.head[from:]) // cannot end the block: it would have fit
	p, noTunnel := h.p, !trailer && h.resp && !h.mayTunnel()
	if !trailer && (h.skipFraming || !h.bodiless()) {
		h.abort(AnomOversizedHeader, ts)
	} else {
		h.anomaly(AnomOversizedHeader)
		h.holdNext = false
		h.finalize(ts, false)
		h.head, h.lineDone, h.lineStart = h.head[:0], false, 0
		h.st = stSkipHead
	}
	if rq := &h.c.half[0]; noTunnel && rq.st == stHold && rq.holdFor == p {
		rq.unhold() // no tunnel: the held bytes are requests after all
	}
}

// mayTunnel reports whether the response being parsed may switch the
// connection to a tunnel (101, a 2xx answer to CONNECT) or is interim.
func (h *half) mayTunnel() bool {
	s := h.p.rsp.Status
	return s/100 == 1 || s/100 == 2 && h.p.ex.Request != nil && h.p.req.Method == "CONNECT"
}

// bodiless reports whether the message of the header block being parsed
// has no body when its headers have no framing header.
func (h *half) bodiless() bool {
	if !h.resp {
		return true
	}
	if h.mayTunnel() {
		return false // a final response follows, or a tunnel
	}
	s := h.p.rsp.Status
	return s == 204 || s == 304 || h.p.ex.Request != nil && h.p.req.Method == "HEAD"
}

// skipHead skips the rest of an oversized header block (stSkipHead); it
// returns how many bytes of p it used.
func (h *half) skipHead(p []byte) int {
	n, end := h.skipLines(p)
	if !end {
		return n
	}
	if h.skipFraming && !h.skipTrailer {
		// A body of unknown length follows.
		h.c.lost(h.resp, AnomOversizedHeader)
		h.resync()
		return n
	}
	h.st = stIdle
	return n
}

// skipLines consumes header lines of p up to and including the empty line
// ending the block; it returns how many bytes it used and whether the
// block ended. Lines are not kept: only their first bytes, to tell
// framing headers (skipFraming).
func (h *half) skipLines(p []byte) (int, bool) {
	used := 0
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		if h.skipLen < len(h.skipName) {
			copy(h.skipName[h.skipLen:], seg)
		}
		h.skipLen += len(seg)
		if i < 0 {
			return used + len(p), false
		}
		used += i + 1
		p = p[i+1:]
		line := h.skipName[:min(h.skipLen, len(h.skipName))]
		h.skipLen = 0
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			return used, true
		}
		if isFramingHeader(line) {
			h.skipFraming = true
		}
	}
	return used, false
}

// framingNames are the headers that give a message a body.
var framingNames = [][]byte{[]byte("content-length"), []byte("transfer-encoding")}

// isFramingHeader reports whether the start of a header line names a
// framing header (any case; blanks before the colon allowed).
func isFramingHeader(line []byte) bool {
	for _, name := range framingNames {
		if len(line) > len(name) && bytes.EqualFold(line[:len(name)], name) {
			switch line[len(name)] {
			case ':', ' ', '\t':
				return true
			}
		}
	}
	return false
}

// startHTTP09Response begins the answer to an HTTP/0.9 request: raw bytes
// until the connection closes.
func (h *half) startHTTP09Response(ts time.Time) {
	h.p = h.c.pairResponse(ts)
	h.msg = &h.p.rsp.Message
	h.msg.FirstByte = ts
	h.takePending()
	h.st = stBodyClose
	h.probe09 = 1
}

// probeStatusLine matches the first bytes of an HTTP/0.9 reply against
// "HTTP/" (any case).
func (h *half) probeStatusLine(p []byte) {
	const want = "http/"
	for _, c := range p {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[h.probe09-1] {
			h.probe09 = 0
			return
		}
		if h.probe09++; int(h.probe09) > len(want) {
			h.anomaly(AnomHTTP09StatusLine)
			h.probe09 = 0
			return
		}
	}
}

// tunnelNow is called on the request side when the connection became a
// tunnel: held bytes belonged to the tunnel.
func (h *half) tunnelNow() {
	if probesTunnel(h.c.upgraded) {
		switch {
		case h.st == stHold && !h.holdLost:
			h.startTunnelProbe(h.holdBuf, h.holdTs)
			return
		case h.st == stIdle:
			h.startTunnelProbe(nil, time.Time{})
			return
		}
	}
	switch h.st {
	case stHold:
		h.c.tunnel(false, h.holdN)
		h.holdBuf, h.holdN, h.holdFor = nil, 0, nil
		h.st = stTunnel
	case stIdle:
		h.st = stTunnel
	}
}

// unhold parses the held bytes after all: the upgrade was refused.
func (h *half) unhold() {
	buf, ts, lost := h.holdBuf, h.holdTs, h.holdLost
	h.holdBuf, h.holdN, h.holdFor, h.holdLost = nil, 0, nil, false
	h.st = stIdle
	h.data(buf, ts)
	if lost {
		h.gap(1, ts) // what did not fit is unknown to us: as good as lost
	}
}

// gap handles n lost bytes (see the package doc): inside a body of known
// length they are counted and parsing goes on exactly; anywhere else the
// position is lost, the message is incomplete and the side resynchronises.
func (h *half) gap(n int64, ts time.Time) {
	h.lastTs = ts
	switch h.st {
	case stIdle:
		if h.c.upgraded != nil && !h.cont {
			h.c.tunnel(h.resp, n)
			return
		}
		if h.cont {
			h.msg.GapBytes += n
			h.abort(AnomHeaderGap, ts)
			return
		}
		h.pendAnoms = addAnomaly(h.pendAnoms, AnomHeaderGap)
		h.c.lost(h.resp, AnomHeaderGap)
		h.resync()
	case stHead:
		switch {
		case h.h09:
			// The request was its line; the loss comes after it.
			h.end09()
			h.gap(n, ts)
		case h.msg != nil && (h.lineDone || h.cont):
			h.msg.GapBytes += n
			h.abort(AnomHeaderGap, ts)
		case h.strict:
			h.c.lost(h.resp, AnomHeaderGap)
			h.resync()
		default:
			h.pendAnoms = addAnomaly(h.pendAnoms, AnomHeaderGap)
			h.c.lost(h.resp, AnomHeaderGap)
			h.resync()
		}
	case stBody, stChunkData:
		if n > h.remain && h.st == stChunkData {
			h.msg.GapBytes += n
			h.abort(AnomBodyGap, ts)
			return
		}
		take := min(n, h.remain)
		m := h.msg
		m.GapBytes += take
		m.BodyWireBytes += take
		m.BodyBytes += take
		h.remain -= take
		h.capOff = true
		h.anomaly(AnomBodyGap)
		if h.remain > 0 {
			return
		}
		if h.st == stChunkData {
			h.st, h.crSeen = stChunkEnd, false
			return
		}
		h.finish(ts, true)
		if n > take {
			// The loss runs past the end of the message.
			h.pendAnoms = addAnomaly(h.pendAnoms, AnomHeaderGap)
			h.c.lost(h.resp, AnomHeaderGap)
			h.resync()
		}
	case stChunkSize, stChunkEnd, stTrailer:
		h.msg.GapBytes += n
		h.abort(AnomBodyGap, ts)
	case stBodyClose:
		m := h.msg
		m.GapBytes += n
		m.BodyWireBytes += n
		m.BodyBytes += n
		m.LastByte = ts
		h.capOff = true
		h.anomaly(AnomBodyGap)
	case stScan:
		h.c.lost(h.resp, AnomHeaderGap)
		h.resync()
	case stSkipHead:
		// The end of the skipped block may be in the loss.
		h.pendAnoms = addAnomaly(h.pendAnoms, AnomHeaderGap)
		h.c.lost(h.resp, AnomHeaderGap)
		h.resync()
	case stTunnel:
		h.c.tunnel(h.resp, n)
	case stTunnelProbe:
		h.endTunnelProbe(n)
	case stHold:
		h.holdN += n
		h.holdLost = true
	}
}

// close ends the side when the connection closes. fin says the server
// closed with FIN, which is what ends a close-delimited body normally.
func (h *half) close(fin bool) {
	switch h.st {
	case stHold:
		h.unhold()
	case stTunnelProbe:
		h.endTunnelProbe(0)
	}
	switch h.st {
	case stIdle, stHead:
		if h.h09 {
			partial := len(h.head) > h.lineStart
			h.end09()
			if partial {
				h.pendAnoms = addAnomaly(h.pendAnoms, AnomTruncated)
			}
		} else if h.msg != nil && (h.lineDone || h.cont) {
			h.anomaly(AnomTruncated)
			h.finalize(h.lastTs, false)
		} else if h.st == stHead && len(h.head) > 0 && !h.strict {
			h.pendAnoms = addAnomaly(h.pendAnoms, AnomTruncated)
		}
	case stBody, stChunkSize, stChunkData, stChunkEnd, stTrailer:
		h.anomaly(AnomTruncated)
		h.finalize(h.lastTs, false)
	case stBodyClose:
		if !fin {
			h.anomaly(AnomTruncated)
		}
		h.finalize(time.Time{}, fin)
	}
	h.st = stTunnel // nothing more is parsed
	h.head, h.line, h.holdBuf, h.probeTs = nil, nil, nil, nil
}
