package reassembly

// Stats are cumulative counters of an Assembler. Take two snapshots and
// subtract to get the figures of an interval (e.g. one capture file).
type Stats struct {
	Packets uint64 // segments passed to Add

	ConnectionsCreated uint64
	ConnectionsClosed  uint64 // Close calls, whatever the reason
	ConnectionsEvicted uint64 // open connections closed to make room (CloseReason "evicted")
	// ConnectionsDetached counts connections taken out of the table by
	// Detach, to be carried over to the next run (checkpoint.go).
	ConnectionsDetached uint64
	IdleTimeouts        uint64 // CloseReason "idle_timeout"
	PortReuses          uint64 // SYN with a new ISN ended a closing connection
	SynRetransmissions  uint64 // SYN (or SYN-ACK) with the ISN already seen
	OpenConnections     int    // connections in the table now

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
