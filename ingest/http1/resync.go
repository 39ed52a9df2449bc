package http1

import (
	"bytes"
	"time"
)

// Resynchronisation: after a loss of position (a gap in framing, bytes that
// are not HTTP) the side scans for the next plausible start of a message.
// Bodies rarely end in a line break, so the next message usually starts in
// the middle of a "line": candidates are therefore looked for anywhere, not
// only at line starts:
//   - responses: "HTTP/1." (validated in full as "HTTP/1.x SP 3DIGIT");
//   - requests: a registered method followed by SP (validated in full as
//     "METHOD SP target SP HTTP/1.x").
// A candidate is assembled like any start line (headData with strict set);
// if it fails validation the scan goes on after it.

// maxProbeLine bounds a candidate start line while resynchronising, so a
// false candidate in a large body costs little copying.
const maxProbeLine = 8 << 10

// carryLen is how many bytes of a chunk are kept to find candidates split
// across Data calls (the longest registered method is 16 bytes).
const carryLen = 17

// scan looks for a candidate start in p. It returns how many bytes of p
// are skipped; when a candidate was found the state is stHead (strict) and
// the candidate begins at p[returned] (or, with a candidate split across
// calls, in head already).
func (h *half) scan(p []byte, ts time.Time) int {
	if n := len(h.carry); n > 0 {
		buf := append(h.carry, p[:min(len(p), carryLen)]...)
		if i := h.findCandidate(buf); i >= 0 && i < n {
			h.head = append(h.head[:0], buf[i:n]...)
			first := h.carryTs[i]
			h.carry, h.carryTs = h.carry[:0], h.carryTs[:0]
			h.beginProbe(first)
			return 0
		}
	}
	if i := h.findCandidate(p); i >= 0 {
		h.head, h.carry, h.carryTs = h.head[:0], h.carry[:0], h.carryTs[:0]
		h.beginProbe(ts)
		return i
	}
	// Keep the last carryLen bytes seen, with the time of each.
	tail := p[max(0, len(p)-carryLen):]
	if drop := len(h.carry) + len(tail) - carryLen; drop > 0 {
		h.carry = append(h.carry[:0], h.carry[drop:]...)
		h.carryTs = append(h.carryTs[:0], h.carryTs[drop:]...)
	}
	h.carry = append(h.carry, tail...)
	for range tail {
		h.carryTs = append(h.carryTs, ts)
	}
	return len(p)
}

func (h *half) beginProbe(ts time.Time) {
	h.firstTs = ts
	h.lineDone, h.lineStart, h.strict = false, 0, true
	h.st = stHead
}

// findCandidate returns the index of the first candidate start in b, or -1.
func (h *half) findCandidate(b []byte) int {
	if h.resp {
		return bytes.Index(b, []byte("HTTP/1."))
	}
	for off := 0; off < len(b); {
		j := bytes.IndexByte(b[off:], ' ')
		if j < 0 {
			return -1
		}
		j += off
		if j > 0 && 'A' <= b[j-1] && b[j-1] <= 'Z' {
			best := -1
			for _, m := range knownMethods {
				if len(m) <= j && string(b[j-len(m):j]) == m && (best < 0 || j-len(m) < best) {
					best = j - len(m)
				}
			}
			if best >= 0 {
				return best
			}
		}
		off = j + 1
	}
	return -1
}
