// Package reassembly turns TCP segments, in capture order, into two ordered
// byte streams per connection, with explicit gaps where bytes were never
// captured, and one summary record (ConnRecord) per connection.
//
// It owns the connection table, sequence arithmetic, out-of-order buffering,
// overlap resolution, gap decisions, timeouts in packet time, memory caps,
// and Zeek-compatible conn_state/history. It must not know about HTTP: the
// Handler gets bytes and gaps, nothing else.
//
// # Time
//
// Time never comes from the wall clock. Every timeout uses Packet.Timestamp,
// so a re-run over the same captures gives the same streams and records.
// Idle and closed connections are expired amortised: connections sit in two
// lists ordered by last activity (open, and closing after FIN both ways or
// RST), and only list heads are checked when packet time moves forward.
//
// # Overlaps: first data wins
//
// Bytes already delivered or already buffered are never delivered again.
// A retransmission whose bytes were all seen is invisible to the Handler
// (counted in Retransmissions). A partial overlap delivers only the new
// bytes. Overlapping bytes that differ from the first copy are counted in
// ConflictingOverlaps (anomaly "conflicting_overlap"), and the first copy is
// kept. Differences are detected byte for byte against buffered data; against
// already delivered data only for the last few delivered segments that a
// retransmission fully covers, through a fingerprint (the in-order path never
// copies, so the delivered bytes are gone; see fingerprint).
//
// # Gaps: when a hole is declared lost
//
// A hole before buffered data, or before bytes the peer acknowledged, is
// declared lost (Handler.Gap with its exact size, then delivery continues)
// only when:
//
//  1. the direction's buffer exceeds Config.MaxBufferedBytesPerConn (or
//     MaxBufferedBytesPerConn/64 segments, since tiny segments cost more in
//     bookkeeping than in bytes): the oldest holes are then given up until
//     half the cap is left, in one pass, so a flood of tiny out-of-order
//     segments costs linear time; or the total over all connections exceeds
//     Config.MaxBufferedBytesTotal (then the direction buffering most is
//     flushed with gaps); or
//  2. the peer has ACKed past the hole and, since that ACK was seen, either
//     Config.ReorderPackets more packets of the connection or
//     Config.ReorderTimeout of capture time have passed. An ACK alone never
//     declares a gap: SPAN ports that merge both directions routinely show
//     the ACK before the data it acknowledges; or
//  3. the connection ends (FIN/RST linger expired, idle timeout, eviction,
//     Flush): buffered data is delivered with gaps between, and if the peer
//     ACKed beyond, or a FIN was seen beyond, the last delivered byte, a
//     final Gap for the missing tail tells the consumer the stream was cut
//     short.
//
// Before any of this, a flow whose handshake has not been seen first is
// held back briefly (pending.go), and delivery across the two directions
// follows the ACK numbers (gate.go): see those files.
//
// # Ownership
//
// Packet.Payload is borrowed for the duration of Add; in-order data is handed
// to Handler.Data straight from it, out-of-order data is copied. Bytes passed
// to Handler.Data are valid only during the call. The *ConnRecord passed to
// Handler.Close belongs to the handler from then on.
//
// The Assembler is not safe for concurrent use; shard connections across
// Assemblers to run in parallel. Handlers must not call back into it.
package reassembly
