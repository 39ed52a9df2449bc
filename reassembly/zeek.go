package reassembly

// This file keeps the Zeek vocabulary of a connection: the endpoint state
// machine behind conn_state, and the history string.

// epState is Zeek's TCP endpoint state (TCP_ENDPOINT_*).
type epState uint8

const (
	epInactive epState = iota
	epSynSent
	epSynAckSent
	epPartial // data seen without a SYN: picked up mid-stream
	epEstablished
	epClosed // FIN sent
	epReset  // RST sent
)

// updateEndpoints advances the endpoint states for a packet of direction d.
func (c *conn) updateEndpoints(d Direction, fl Flags) {
	e, p := &c.ep[d], &c.ep[d.Reverse()]
	if fl.Has(FlagRST) {
		*e = epReset
		return
	}
	if fl.Has(FlagSYN) {
		if *e == epInactive {
			if fl.Has(FlagACK) {
				*e = epSynAckSent
			} else {
				*e = epSynSent
			}
		}
	} else {
		switch *e {
		case epInactive:
			*e = epPartial
		case epSynSent, epSynAckSent:
			// The handshake completes when either side follows up after
			// both SYNs were seen.
			if *p == epSynSent || *p == epSynAckSent || *p == epEstablished {
				*e = epEstablished
				if *p != epEstablished {
					*p = epEstablished
				}
			}
		}
	}
	if fl.Has(FlagFIN) && *e != epReset {
		*e = epClosed
	}
}

// connState is Zeek's conn_state (base/protocols/conn/main.zeek), computed
// from the endpoint states, the byte counts and the history.
func (c *conn) connState() string {
	os, rs := c.ep[ClientToServer], c.ep[ServerToClient]
	oInactive := os == epInactive || os == epPartial
	rInactive := rs == epInactive || rs == epPartial
	switch {
	case rs == epReset:
		if os == epSynSent || os == epSynAckSent ||
			(os == epReset && c.rec.PayloadBytes[0] == 0 && c.rec.PayloadBytes[1] == 0) {
			return "REJ"
		}
		if oInactive {
			return "RSTRH"
		}
		return "RSTR"
	case os == epReset:
		if rInactive {
			if c.historyIsSynThenRst() {
				return "RSTOS0"
			}
			return "OTH"
		}
		return "RSTO"
	case rs == epClosed && os == epClosed:
		return "SF"
	case os == epClosed:
		if rInactive {
			return "SH"
		}
		return "S2"
	case rs == epClosed:
		if oInactive {
			return "SHR"
		}
		return "S3"
	case os == epSynSent && rs == epInactive:
		return "S0"
	case os == epEstablished && rs == epEstablished:
		return "S1"
	}
	return "OTH"
}

// historyIsSynThenRst matches Zeek's /^\^?S[^HAFGIQ]*R.*/ on the history.
func (c *conn) historyIsSynThenRst() bool {
	h := c.hist[:c.histN]
	if len(h) > 0 && h[0] == histFlipped {
		h = h[1:]
	}
	if len(h) == 0 || h[0] != 'S' {
		return false
	}
	for _, ch := range h[1:] {
		switch ch {
		case 'R':
			return true
		case 'H', 'A', 'F', 'G', 'I', 'Q':
			return false
		}
	}
	return false
}

// History letters in Zeek's meaning; the client's in upper case.
const (
	histSYN          = iota // S: SYN without ACK
	histSYNACK              // H: SYN+ACK
	histACK                 // A: pure ACK
	histData                // D: payload
	histFIN                 // F
	histRST                 // R
	histRexmit              // T: retransmitted payload
	histZeroWin             // W: zero window advertised
	histGap                 // G: content gap
	histInconsistent        // I: FIN+RST
	histMultiFlag           // Q: SYN+FIN or SYN+RST
	histLetters
)

const histNames = "SHADFRTWGIQ"

// histScaled is how many letters Zeek repeats on a logarithmic scale:
// retransmission (T), zero window (W) and content gap (G), the first three
// after histRexmit. Its ScaledHistoryEntry records such a letter when its
// count for that side reaches 1, 10, 100, 1000..., so "ShADadttfF" says
// ten retransmissions or more.
const histScaled = 3

// histCounter counts one scaled letter of one side.
type histCounter struct {
	n, next uint64 // occurrences; the count at which the letter is added again (0: 1)
}

// maxHistory bounds the history: every letter once per side, the scaled
// ones up to twenty times each (10^19 occurrences), and the flip mark.
const maxHistory = histLetters*2 + histScaled*2*19 + 1

// histFlipped is Zeek's first history character when the connection's
// originator is not the sender of its first packet (a SYN+ACK or a reply
// seen first): the roles were flipped.
const histFlipped = '^'

// mark records a history letter for side d: the first time it occurs, or
// for the scaled letters each time its count reaches a power of ten.
func (c *conn) mark(d Direction, letter int) {
	if letter >= histRexmit && letter < histRexmit+histScaled {
		sc := &c.histScale[letter-histRexmit][d]
		sc.n++
		if sc.next == 0 {
			sc.next = 1
		}
		if sc.n != sc.next {
			return
		}
		sc.next *= 10
	} else {
		bit := uint32(1) << (uint(letter)*2 + uint(d))
		if c.histMask&bit != 0 {
			return
		}
		c.histMask |= bit
	}
	ch := histNames[letter]
	if d == ServerToClient {
		ch += 'a' - 'A'
	}
	c.addHistory(ch)
}

// addHistory appends one character to the history.
func (c *conn) addHistory(ch byte) {
	if c.histN < len(c.hist) {
		c.hist[c.histN] = ch
		c.histN++
	}
}

// markPacket records the letters of a packet's flags and size the way
// Zeek's update_history does: a packet with several of SYN/FIN/RST is Q
// (I for FIN+RST); with one of them, that letter alone (its payload adds no
// D); otherwise D for payload, A for a pure ACK.
func (c *conn) markPacket(d Direction, fl Flags, n int) {
	syn, fin, rst := fl.Has(FlagSYN), fl.Has(FlagFIN), fl.Has(FlagRST)
	switch {
	case fin && rst:
		c.mark(d, histInconsistent)
	case syn && (fin || rst):
		c.mark(d, histMultiFlag)
	case syn && fl.Has(FlagACK):
		c.mark(d, histSYNACK)
	case syn:
		c.mark(d, histSYN)
	case fin:
		c.mark(d, histFIN)
	case rst:
		c.mark(d, histRST)
	case n > 0:
		c.mark(d, histData)
	case fl.Has(FlagACK):
		c.mark(d, histACK)
	}
}
