package reassembly

// The flow table cap.
//
// Config.MaxConnections bounds the flows held at once, whatever their
// stage: pending flows (waiting for their handshake, pending.go) and
// connections (open, or closed and lingering) count together, so the
// memory of the table is bounded by one number (see Config for its cost
// per flow). A flow enters the table only through hold, which makes room
// first when the table is full; promoting a pending flow to a connection
// keeps its slot.
//
// Which flow gives up its slot decides what an attacker (or a burst) can
// destroy. A SYN flood, a port scan or a burst of backscatter is a mass of
// flows that never complete a handshake: they all sit in the pending
// queue, oldest first. Legitimate connections complete their handshake
// within a round trip and then live in the open list, where evicting one
// splits it into two records and loses the exchange it was carrying. So
// the pending queue pays first, and the open connections only when the
// pending flows are few and young (an ordinary burst of new connections,
// not a flood):
//
//  1. the oldest pending flow, if it has waited ReorderTimeout or longer (a
//     handshake whose peer has not answered by then is not a connection
//     anyone is waiting for), or if pending flows hold at least half the
//     table (a flood: flows arriving faster than they can go stale; this
//     keeps at least half the table for connections that did complete
//     their handshake, so a flood of any rate cannot evict them all);
//  2. otherwise the oldest lingering closed connection (FIN both ways or
//     RST): its record is complete, only late duplicates are lost;
//  3. otherwise the least recently active open connection whose server
//     has not sent a byte yet (a slowloris flood: half-sent requests held
//     open; a flood of completed handshakes): nothing it carried has been
//     answered, so evicting it splits no exchange that had a response;
//  4. otherwise the least recently active open connection;
//  5. otherwise (every slot holds a young pending flow) the oldest pending
//     flow.
//
// An evicted pending flow is not dropped silently: it is promoted (its
// held packets replayed, so it gets its connection record, an unanswered
// SYN in state S0 as it would have had anyway) and closed at once with
// CloseReason "evicted". Evicted pending flows and open connections are
// both counted in Stats.ConnectionsEvicted (pending ones also in
// Stats.PendingEvicted); lingering closed connections close with their own
// reason ("fin" or "rst"), as they would a little later.

// makeRoom frees one slot of a full flow table (see above).
func (a *Assembler) makeRoom() {
	if f := a.pendingQ.head; f != nil &&
		(a.now.Sub(f.arrived) >= a.cfg.ReorderTimeout || 2*len(a.pending) >= a.cfg.MaxConnections) {
		a.evictPending(f)
		return
	}
	if c := a.closing.head; c != nil {
		a.closeConn(c, c.finishReason())
		return
	}
	for _, l := range []*connList{&a.unanswered, &a.open} {
		if c := l.head; c != nil {
			a.stats.ConnectionsEvicted++
			a.closeConn(c, "evicted")
			return
		}
	}
	if f := a.pendingQ.head; f != nil {
		a.evictPending(f)
	}
}

// evictPending promotes the pending flow f and closes its connection at
// once as "evicted".
func (a *Assembler) evictPending(f *pendingFlow) {
	c := a.promote(f)
	if c.closed { // a replayed packet closed it already
		return
	}
	a.stats.ConnectionsEvicted++
	a.stats.PendingEvicted++
	a.closeConn(c, "evicted")
}
