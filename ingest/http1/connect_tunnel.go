package http1

import (
	"bytes"
	"time"
)

// HTTP inside a CONNECT tunnel.
//
// A CONNECT answered 2xx turns the connection into a tunnel. Through a
// forward proxy the tunnel usually carries TLS, but a plain-text HTTP
// request through it is HTTP all the same, and Suricata and tshark parse
// it (suricata-verify http-connect-*). So the request side does not count
// the first tunnel bytes blindly: it looks at them (stTunnelProbe) until
// they show either a registered method followed by a blank — HTTP: both
// sides leave the tunnel and parse on, trans_depth going on after the
// CONNECT exchange — or anything else (a TLS record starts with 0x16):
// a tunnel, counted as before. A 101 upgrade (WebSocket, h2c) is never
// probed: what follows it is framed, not HTTP/1.

// maxTunnelProbe is how many bytes without a blank decide "not HTTP"; the
// longest registered method is 16 bytes.
const maxTunnelProbe = 24

// probesTunnel reports whether the tunnel that p opened is probed for HTTP.
func probesTunnel(p *pending) bool {
	return p != nil && p.ex.Request != nil && p.req.Method == "CONNECT"
}

// startTunnelProbe puts the request side into stTunnelProbe with the bytes
// it held while the CONNECT was unanswered (all received at ts).
func (h *half) startTunnelProbe(held []byte, ts time.Time) {
	h.holdBuf, h.holdN, h.holdLost, h.holdFor = nil, 0, false, nil
	h.probeTs = h.probeTs[:0]
	h.st = stTunnelProbe
	if len(held) > 0 {
		h.probeTunnel(held, ts)
	}
}

// probeTunnel takes tunnel bytes in stTunnelProbe until they decide. The
// bytes of earlier calls (fewer than maxTunnelProbe, each with its capture
// time in probeTs) are then handed on with their own times, p with ts.
func (h *half) probeTunnel(p []byte, ts time.Time) {
	prev := h.holdBuf
	buf := append(prev, p...)
	// Line breaks between messages are skipped, as in stIdle.
	lead := len(buf) - len(bytes.TrimLeft(buf, "\r\n"))
	sp := bytes.IndexByte(buf[lead:], ' ')
	if sp < 0 && len(buf) < maxTunnelProbe {
		h.holdBuf = buf // undecided
		for range p {
			h.probeTs = append(h.probeTs, ts)
		}
		return
	}
	h.holdBuf = nil
	if sp > 0 {
		if _, known := methodString(buf[lead : lead+sp]); known {
			h.c.leaveTunnel()
			h.st = stIdle
			for i := 0; i < len(prev); {
				j := i + 1
				for j < len(prev) && h.probeTs[j].Equal(h.probeTs[i]) {
					j++
				}
				h.data(prev[i:j], h.probeTs[i])
				i = j
			}
			h.data(p, ts)
			return
		}
	}
	h.st = stTunnel
	h.c.tunnel(false, int64(len(buf)))
}

// endTunnelProbe counts the undecided bytes as tunnel bytes (a gap or the
// end of the connection came first).
func (h *half) endTunnelProbe(lost int64) {
	h.c.tunnel(false, int64(len(h.holdBuf))+lost)
	h.holdBuf = nil
	h.st = stTunnel
}

// leaveTunnel ends tunnel mode: the CONNECT tunnel carries HTTP, parsed on
// both sides. The CONNECT exchange, which an upgrade keeps open to count
// tunnel bytes until the connection ends, is done: it is emitted now, so
// the exchanges through the tunnel do not queue up behind it.
func (c *ConnParser) leaveTunnel() {
	p := c.upgraded
	c.upgraded = nil
	if rs := &c.half[1]; rs.st == stTunnel {
		rs.st = stIdle
	}
	c.responseDone(p)
}
