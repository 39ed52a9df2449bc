package reassembly

import (
	"cmp"
	"net/netip"
	"slices"
	"time"
)

// Checkpoints: carrying open connections from one run to the next.
//
// An incremental run ends in the middle of the traffic, with connections
// still open. Rather than serialising the state of the reassembler and of
// the HTTP parser above it (large, tied to the code's version, and a second
// path to get wrong), the caller carries over the packets of those
// connections and the next run replays them before its own input: the same
// code rebuilds the same state from the same bytes. This package's part is
// OpenConns, which lists what is still open, and Detach, which takes a
// connection out of the table without delivering what it holds and without
// calling Close, so nothing of it is emitted twice.

// OpenConn describes a connection still open in the table.
type OpenConn struct {
	Info     ConnInfo
	Handler  Handler
	LastSeen time.Time
	// Packets and PayloadBytes count both directions since the connection
	// was created (a replayed connection counts its replayed packets too).
	Packets, PayloadBytes uint64
	// A and B are the endpoints of the flow-table key (unordered).
	A, B netip.AddrPort

	key connKey
}

// OpenConns lists the connections still in the table, ordered by FirstSeen
// then ID. Flows whose handshake is still pending are promoted first (as
// Flush would), so each of them is listed too.
func (a *Assembler) OpenConns() []OpenConn {
	for a.pendingQ.head != nil {
		a.promote(a.pendingQ.head)
	}
	out := make([]OpenConn, 0, len(a.conns))
	for _, c := range a.conns {
		out = append(out, OpenConn{
			Info: c.rec.Info, Handler: c.h, LastSeen: c.lastSeen, key: c.key, A: c.key.lo, B: c.key.hi,
			Packets:      c.rec.Packets[0] + c.rec.Packets[1],
			PayloadBytes: c.rec.PayloadBytes[0] + c.rec.PayloadBytes[1],
		})
	}
	slices.SortFunc(out, func(x, y OpenConn) int {
		if c := x.Info.FirstSeen.Compare(y.Info.FirstSeen); c != 0 {
			return c
		}
		return cmp.Compare(x.Info.ID, y.Info.ID)
	})
	return out
}

// Detach removes the connection oc from the table without delivering the
// bytes it holds and without calling its Handler's Close: the caller will
// replay its packets in a later run. It reports false when oc is no longer
// in the table.
func (a *Assembler) Detach(oc *OpenConn) bool {
	c := a.conns[oc.key]
	if c == nil || c.rec.Info.ID != oc.Info.ID {
		return false
	}
	c.list.remove(c)
	delete(a.conns, c.key)
	if a.last == c {
		a.last = nil
	}
	c.closed = true
	held := 0
	for d := range c.s {
		s := &c.s[d]
		held += s.bufBytes + s.gateBytes
		s.buf, s.bufBytes, s.gateQ, s.gateBytes = nil, 0, nil, 0
	}
	a.buffered(c, -int64(held))
	a.stats.ConnectionsDetached++
	return true
}
