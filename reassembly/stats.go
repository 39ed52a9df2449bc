package reassembly

// Stats are cumulative counters of an Assembler. Take two snapshots and
// subtract to get the figures of an interval (e.g. one capture file).
type Stats struct {
	Packets uint64 // segments passed to Add

	ConnectionsCreated uint64
	ConnectionsClosed  uint64 // Close calls, whatever the reason
	// ConnectionsEvicted counts flows closed to make room in the flow table
	// (CloseReason "evicted"), open connections and pending flows alike;
	// PendingEvicted counts those of them that were still waiting for
	// their handshake (see flowcap.go).
	ConnectionsEvicted uint64
	PendingEvicted     uint64
	// ConnectionsDetached counts connections taken out of the table by
	// Detach, to be carried over to the next run (checkpoint.go).
	ConnectionsDetached uint64
	IdleTimeouts        uint64 // CloseReason "idle_timeout"
	PortReuses          uint64 // SYN with a new ISN ended a closing connection
	SynRetransmissions  uint64 // SYN (or SYN-ACK) with the ISN already seen
	OpenConnections     int    // flows in the table now: connections and pending flows

	Gaps       uint64 // Gap events delivered
	GapBytes   uint64 // bytes reported missing
	ForcedGaps uint64 // gaps forced by the buffer caps rather than ACKs or close

	BufferedBytes     int64 // out-of-order bytes held now
	PeakBufferedBytes int64 // highest BufferedBytes so far

	Retransmissions     uint64
	OutOfOrder          uint64
	ConflictingOverlaps uint64
	KeepAlives          uint64

	// AcksSeen counts ACKs that advanced the acknowledged point of the
	// other direction (Zeek's ack events). AcksForUnseenData counts those
	// that acknowledged bytes past the highest sequence number seen in the
	// other direction and whose bytes then never arrived (counted when the
	// gap is declared, so SPAN reordering of ACK before data does not count).
	// The ratio estimates capture loss like Zeek's capture_loss.
	AcksSeen          uint64
	AcksForUnseenData uint64
}
