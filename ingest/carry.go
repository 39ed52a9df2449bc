package ingest

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/spanlake/spanlake/reassembly"
)

// Carry-over of open connections between incremental runs.
//
// A connection that crosses the boundary between two runs must give exactly
// the rows it would give if both runs' files had been ingested together.
// At the end of a run with CarryOptions.Out, every connection still open is
// detached from the reassembler instead of being flushed: its exchanges
// completed so far have been written, its unfinished exchange and its
// connection row have not. WriteCarry then copies the raw packets of those
// connections into a pcapng file in the state directory, and the next run
// replays that file before its own captures, skipping the exchanges already
// written (counted per connection). Replaying packets, not a serialised
// parser state, means the state is rebuilt by the very code that built it
// the first time; the cost is re-reading the carried packets, which the
// limits below bound.
//
// Rows of a carried connection keep their attribution: an exchange belongs
// to the capture file holding its first byte, even when that file was
// ingested by an earlier run. Such rows are stored in files of their own
// (SourceFile.Carry), so they never overwrite what the earlier run wrote.
//
// What stays different from one big run: the caps (MaxConnections, buffer
// limits) see different neighbours, connections over the carry limits are
// closed as "end_of_input" and split as without carry-over (counted in
// Summary.CarryOverflow), and packets whose capture time lies before their
// connection's first packet (a capture that reorders timestamps across the
// boundary) are not carried; nor are packets of a link type other than the
// first carried packet's (the carry file is a pcapng read like any capture,
// and spanlake reads one link type per pcapng file — a run mixing captures
// of different link types is rare enough to split instead).

// CarryOptions configure the carry-over of a run.
type CarryOptions struct {
	// In is the checkpoint of the previous run to replay first, or nil.
	In *CarryIn
	// Out detaches the connections open at the end of the run (listed in
	// Summary.Carried) instead of closing them.
	Out bool
	// MaxConnBytes and MaxTotalBytes bound what is carried (payload plus
	// an estimate of headers): a bigger connection is closed instead.
	MaxConnBytes, MaxTotalBytes int64
}

// Default carry limits: the carry file is on disk and replayed once per
// run, so these bound disk use and the replay time, not memory.
const (
	DefaultCarryMaxConnBytes  = 32 << 20
	DefaultCarryMaxTotalBytes = 512 << 20
)

// carryPacketOverhead estimates the carry file bytes of a packet besides
// its payload (link, IP and TCP headers and the pcapng record).
const carryPacketOverhead = 100

// CarryIn is a checkpoint to replay: a pcapng file of carried packets, the
// capture files they came from, and per connection how many exchanges an
// earlier run already wrote.
type CarryIn struct {
	ID   uint64
	Path string
	// Sources are the capture files of earlier runs the packets came from,
	// with Carry = ID; Interfaces maps the pcapng
	// interface of a packet to its index in Sources.
	Sources    []*SourceFile
	Interfaces []int
	// Written is the number of exchanges already written per connection ID.
	Written map[uint64]int
}

// CarriedConn is a connection detached at the end of a run.
type CarriedConn struct {
	ID                  uint64
	Client, Server      netip.AddrPort
	VLAN                uint16
	FirstSeen, LastSeen time.Time
	// Exchanges is the number of its exchanges written so far (this run
	// and earlier ones).
	Exchanges int
	// Bytes estimates its size in the carry file.
	Bytes int64
}

// detachCarried detaches the open connections of asm that fit the limits
// (share is the fraction of MaxTotalBytes this assembler may use) and
// returns them; the rest stay for Flush. Smaller connections go first, so
// a few huge ones cannot crowd out many small ones; the choice depends only
// on the connections, not on the order they were seen.
func detachCarried(asm *reassembly.Assembler, o *CarryOptions, shares int) (carried []CarriedConn, overflow int) {
	open := asm.OpenConns()
	size := func(oc *reassembly.OpenConn) int64 {
		return int64(oc.PayloadBytes) + carryPacketOverhead*int64(oc.Packets)
	}
	slices.SortFunc(open, func(x, y reassembly.OpenConn) int {
		if c := cmp.Compare(size(&x), size(&y)); c != 0 {
			return c
		}
		return cmp.Compare(x.Info.ID, y.Info.ID)
	})
	budget := o.MaxTotalBytes / int64(max(shares, 1))
	var used int64
	for i := range open {
		oc := &open[i]
		h, ok := oc.Handler.(*connHandler)
		if !ok { // a shard's clock tick: not a connection
			continue
		}
		n := size(oc)
		if n > o.MaxConnBytes || used+n > budget {
			overflow++
			continue
		}
		if !asm.Detach(oc) {
			continue
		}
		used += n
		carried = append(carried, CarriedConn{ID: oc.Info.ID, Client: oc.Info.Client, Server: oc.Info.Server, VLAN: oc.Info.VLAN,
			FirstSeen: oc.Info.FirstSeen, LastSeen: oc.LastSeen, Exchanges: h.exchanges, Bytes: n})
	}
	return carried, overflow
}

// sortCarried orders carried connections by first packet, then ID.
func sortCarried(cs []CarriedConn) {
	slices.SortFunc(cs, func(x, y CarriedConn) int {
		if c := x.FirstSeen.Compare(y.FirstSeen); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
}
