package schema

// FactTCPConnection is the row of fact_tcp_connection: one TCP connection,
// in Zeek conn.log vocabulary. "orig" is the client (the SYN sender, or the
// endpoint judged to be the client for connections picked up mid-stream),
// "resp" the server.
type FactTCPConnection struct {
	ConnectionID  int64 `parquet:"connection_id" doc:"hash of client and server address/port and first packet time; the VLAN is not part of it, so one connection seen on two VLANs has one id"`
	DateKey       int32 `parquet:"date_key" doc:"YYYYMMDD (UTC) of first_ts; joins dim_date"`
	TimeKey       int32 `parquet:"time_key" doc:"minute of the day (UTC) of first_ts; joins dim_time"`
	ClientKey     int64 `parquet:"client_key" doc:"client IP; joins dim_endpoint"`
	ServerKey     int64 `parquet:"server_key" doc:"server IP; joins dim_endpoint"`
	SourceFileKey int64 `parquet:"source_file_key" doc:"capture file of the first packet; joins dim_source_file"`

	ClientIP   string `parquet:"client_ip,dict" doc:"client address"`
	ClientPort int32  `parquet:"client_port" doc:"client port"`
	ServerIP   string `parquet:"server_ip,dict" doc:"server address"`
	ServerPort int32  `parquet:"server_port" doc:"server port"`
	VLAN       int32  `parquet:"vlan,optional" doc:"outer 802.1Q VLAN id, null when untagged"`

	FirstTS       int64  `parquet:"first_ts,timestamp(microsecond:utc)" doc:"capture time of the first packet"`
	LastTS        int64  `parquet:"last_ts,timestamp(microsecond:utc)" doc:"capture time of the last packet"`
	DurationUs    int64  `parquet:"duration_us" doc:"last_ts - first_ts in microseconds"`
	ConnState     string `parquet:"conn_state,dict" doc:"Zeek conn_state: S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH"`
	History       string `parquet:"history,dict" doc:"Zeek history letters (upper case = client): ^ first when the first packet was the server's; T, W, G repeated when their count reaches 10, 100...; T for any payload below the highest byte seen (retransmitted or late)"`
	CloseReason   string `parquet:"close_reason,dict" doc:"fin, rst, idle_timeout, end_of_input or evicted"`
	HandshakeSeen bool   `parquet:"handshake_seen" doc:"false for a connection picked up mid-stream"`

	OrigPackets         int64    `parquet:"orig_packets" doc:"client packets, pure ACKs included"`
	RespPackets         int64    `parquet:"resp_packets" doc:"server packets"`
	OrigPayloadBytes    int64    `parquet:"orig_payload_bytes" doc:"client payload bytes, retransmissions included"`
	RespPayloadBytes    int64    `parquet:"resp_payload_bytes" doc:"server payload bytes, retransmissions included"`
	OrigBytes           int64    `parquet:"orig_bytes" doc:"unique client stream bytes delivered in order (Zeek orig_bytes, less gaps)"`
	RespBytes           int64    `parquet:"resp_bytes" doc:"unique server stream bytes delivered in order"`
	OrigMissedBytes     int64    `parquet:"orig_missed_bytes" doc:"client bytes lost to capture gaps"`
	RespMissedBytes     int64    `parquet:"resp_missed_bytes" doc:"server bytes lost to capture gaps"`
	Gaps                int64    `parquet:"gaps" doc:"gap events, both directions"`
	Retransmissions     int64    `parquet:"retransmissions" doc:"segments whose bytes had all been seen already, both directions"`
	OutOfOrder          int64    `parquet:"out_of_order" doc:"segments that arrived ahead of a hole, both directions"`
	ConflictingOverlaps int64    `parquet:"conflicting_overlaps" doc:"overlaps whose bytes differed from the first copy (first copy kept)"`
	KeepAlives          int64    `parquet:"keep_alives" doc:"keep-alive probes ignored"`
	ZeroWindowProbes    int64    `parquet:"zero_window_probes" doc:"zero-window probes"`
	HTTPExchanges       int64    `parquet:"http_exchanges" doc:"HTTP exchanges carried"`
	Anomalies           []string `parquet:"anomalies,list" doc:"short codes of TCP and HTTP oddities seen on the connection"`
}
