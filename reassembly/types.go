package reassembly

import (
	"net/netip"
	"time"
)

// Flags are the TCP control bits of a segment.
type Flags uint8

// TCP control bits, in the order of the TCP header.
const (
	FlagFIN Flags = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
)

// Has reports whether all bits of f are set.
func (fl Flags) Has(f Flags) bool { return fl&f == f }

// Packet is one decoded TCP segment as the assembler consumes it.
//
// Ownership: Payload is borrowed. The assembler copies what it needs to keep
// (out-of-order data) before Add returns; the caller may reuse the buffer.
type Packet struct {
	Timestamp time.Time // capture time of the packet
	Src, Dst  netip.AddrPort
	VLAN      uint16 // outermost 802.1Q id, 0 when untagged
	Seq, Ack  uint32
	Flags     Flags
	Window    uint16
	Payload   []byte
}

// Direction is the direction of a byte stream inside a connection.
type Direction uint8

const (
	// ClientToServer carries requests.
	ClientToServer Direction = 0
	// ServerToClient carries responses.
	ServerToClient Direction = 1
)

// Reverse returns the other direction.
func (d Direction) Reverse() Direction { return d ^ 1 }

func (d Direction) String() string {
	if d == ClientToServer {
		return "client->server"
	}
	return "server->client"
}

// ConnInfo identifies a connection. It is fixed when the connection is
// created and handed to the Factory.
type ConnInfo struct {
	// ID is stable across runs and machines: a hash of the client and
	// server addresses and ports and the capture time of the connection's
	// first packet (not the VLAN: see connID).
	ID             uint64
	Client, Server netip.AddrPort
	VLAN           uint16
	FirstSeen      time.Time
	// HandshakeSeen is false for a connection picked up mid-stream (it began
	// before the capture); Client/Server then come from a port heuristic.
	HandshakeSeen bool
}

// ConnRecord is the summary of a finished connection: the row of
// fact_tcp_connection. Per-direction arrays are indexed by Direction.
type ConnRecord struct {
	Info     ConnInfo
	LastSeen time.Time

	// State is Zeek's conn_state vocabulary (S0, S1, SF, REJ, S2, S3, RSTO,
	// RSTR, RSTOS0, RSTRH, SH, SHR, OTH).
	State string
	// History is Zeek's history string (ShADadFfRr..., upper case = client).
	History string
	// CloseReason says why the record was emitted: "fin", "rst", "idle_timeout",
	// "end_of_input", "evicted".
	CloseReason string

	Packets             [2]uint64 // all packets, including pure ACKs
	PayloadBytes        [2]uint64 // payload bytes of all segments, retransmissions included
	DeliveredBytes      [2]uint64 // unique stream bytes delivered in order
	MissedBytes         [2]uint64 // bytes reported as gaps
	Gaps                [2]uint64 // number of gap events
	Retransmissions     [2]uint64 // segments whose bytes were all seen already
	OutOfOrder          [2]uint64 // segments that arrived ahead of the next expected byte
	ConflictingOverlaps [2]uint64 // overlaps whose bytes differ from what was delivered (first data wins)
	KeepAlives          [2]uint64 // keep-alive probes ignored (one stale byte at seq-1, or empty at seq-1)
	ZeroWindowProbes    [2]uint64
	// Anomalies are short codes of things seen on the connection that are
	// not errors (e.g. "data_after_fin", "syn_with_data", "buffer_overflow").
	Anomalies []string
}

// Handler receives the reassembled streams of one connection. Calls for one
// connection are never concurrent.
//
// Ownership: data passed to Data is only valid during the call.
type Handler interface {
	// Data delivers the next in-order bytes of dir. ts is the capture time of
	// the segment that carried them.
	Data(dir Direction, data []byte, ts time.Time)
	// Gap reports that n bytes of dir were lost (never captured) at this
	// point of the stream; the next Data continues after them.
	Gap(dir Direction, n int, ts time.Time)
	// Close is called exactly once, after the last Data/Gap, with the
	// connection's record. The handler may annotate rec before returning.
	Close(rec *ConnRecord)
}

// Factory creates the Handler of a new connection.
type Factory func(info *ConnInfo) Handler

// StreamAnomalyObserver may be implemented by a Handler that wants to know,
// at the point of the stream where it happened, of a TCP anomaly that
// touches the bytes it is given — so the anomaly can be recorded on the
// message those bytes belong to, not only on the connection.
type StreamAnomalyObserver interface {
	// StreamAnomaly reports an anomaly code (e.g. "conflicting_overlap")
	// in direction d, between the Data calls around it.
	StreamAnomaly(d Direction, code string)
}
