package schema

// DimDate is the row of dim_date: one calendar day (UTC).
type DimDate struct {
	DateKey   int32  `parquet:"date_key" doc:"YYYYMMDD"`
	Date      int32  `parquet:"date,date" doc:"the day"`
	Year      int32  `parquet:"year" doc:"calendar year"`
	Quarter   int32  `parquet:"quarter" doc:"1-4"`
	Month     int32  `parquet:"month" doc:"1-12"`
	Day       int32  `parquet:"day" doc:"day of the month"`
	DayOfWeek int32  `parquet:"day_of_week" doc:"ISO: 1 = Monday ... 7 = Sunday"`
	DayName   string `parquet:"day_name,dict" doc:"Monday ... Sunday"`
	MonthName string `parquet:"month_name,dict" doc:"January ... December"`
	ISOYear   int32  `parquet:"iso_year" doc:"ISO 8601 week-numbering year"`
	ISOWeek   int32  `parquet:"iso_week" doc:"ISO 8601 week 1-53"`
	IsWeekend bool   `parquet:"is_weekend" doc:"Saturday or Sunday"`
}

// DimTime is the row of dim_time: one minute of the day (all 1440 are
// always written).
type DimTime struct {
	TimeKey   int32  `parquet:"time_key" doc:"minute of the day, 0-1439"`
	Hour      int32  `parquet:"hour" doc:"0-23"`
	Minute    int32  `parquet:"minute" doc:"0-59"`
	Label     string `parquet:"label" doc:"HH:MM"`
	DayPeriod string `parquet:"day_period,dict" doc:"night (0-5), morning (6-11), afternoon (12-17), evening (18-23)"`
}

// DimEndpoint is the row of dim_endpoint: one IP address.
type DimEndpoint struct {
	EndpointKey int64  `parquet:"endpoint_key" doc:"hash of the address"`
	IP          string `parquet:"ip" doc:"address as text (IPv6 in RFC 5952 form)"`
	IPVersion   int32  `parquet:"ip_version" doc:"4 or 6"`
	IsPrivate   bool   `parquet:"is_private" doc:"RFC 1918 / RFC 4193 address"`
	IsLoopback  bool   `parquet:"is_loopback" doc:"loopback address"`
}

// DimVhost is the row of dim_vhost: one virtual host. The natural key is the
// Host header normalised: lower case, trailing dot and default port (80)
// removed.
type DimVhost struct {
	VhostKey int64  `parquet:"vhost_key" doc:"hash of vhost; 0 = request without Host"`
	Vhost    string `parquet:"vhost,optional" doc:"normalised host[:port]"`
	HostName string `parquet:"host_name,optional" doc:"vhost without the port"`
	Port     int32  `parquet:"port,optional" doc:"explicit non-default port, else null"`
	Present  bool   `parquet:"present" doc:"false only for the 'no Host header' member (key 0)"`
}

// DimURL is the row of dim_url: one request path (query excluded).
type DimURL struct {
	URLKey    int64  `parquet:"url_key" doc:"hash of the path; 0 = no request"`
	Path      string `parquet:"path,optional" doc:"path as sent (percent-encoding kept)"`
	PathRaw   []byte `parquet:"path_raw,optional" doc:"exact bytes when path is not valid UTF-8"`
	Extension string `parquet:"extension,optional,dict" doc:"lower-case extension of the last segment without the dot, or null"`
	Depth     int32  `parquet:"depth" doc:"number of non-empty path segments"`
	Present   bool   `parquet:"present" doc:"false only for key 0"`
}

// DimUserAgent is the row of dim_user_agent: one User-Agent value.
type DimUserAgent struct {
	UserAgentKey int64  `parquet:"user_agent_key" doc:"hash of the raw value; 0 = no User-Agent header"`
	UserAgent    string `parquet:"user_agent,optional" doc:"User-Agent as sent"`
	UserAgentRaw []byte `parquet:"user_agent_raw,optional" doc:"exact bytes when not valid UTF-8"`
	Present      bool   `parquet:"present" doc:"false only for key 0"`
	Family       string `parquet:"family,optional,dict" doc:"parsed client family: browser (Chrome, Firefox, Safari, Edge, Opera, ...), tool (curl, Wget, python-requests, Go-http-client, ...), crawler (Googlebot, bingbot, ...) or Other; null for key 0"`
	Version      string `parquet:"version,optional" doc:"version token of the family as sent (e.g. 120.0.6099.71); null when none"`
	OS           string `parquet:"os,optional,dict" doc:"Windows, macOS, iOS, Android, Linux, ChromeOS or Other; null for key 0"`
	Device       string `parquet:"device,optional,dict" doc:"desktop, mobile, tablet, bot or other (tools, libraries, unknown); null for key 0"`
	IsBot        bool   `parquet:"is_bot" doc:"a crawler, monitor or scanner by its User-Agent (self-declared: a bot that poses as a browser is not caught)"`
}

// DimReferrer is the row of dim_referrer: one Referer value.
type DimReferrer struct {
	ReferrerKey int64  `parquet:"referrer_key" doc:"hash of the raw value; 0 = no Referer header"`
	Referrer    string `parquet:"referrer,optional" doc:"Referer as sent"`
	ReferrerRaw []byte `parquet:"referrer_raw,optional" doc:"exact bytes when not valid UTF-8"`
	Scheme      string `parquet:"scheme,optional,dict" doc:"URL scheme, lower case"`
	Host        string `parquet:"host,optional" doc:"host part, lower case"`
	Path        string `parquet:"path,optional" doc:"path part"`
	Present     bool   `parquet:"present" doc:"false only for key 0"`
}

// DimContentType is the row of dim_content_type: one media type.
type DimContentType struct {
	ContentTypeKey int64  `parquet:"content_type_key" doc:"hash of media_type and charset; 0 = no Content-Type"`
	MediaType      string `parquet:"media_type,optional,dict" doc:"type/subtype, lower case, parameters removed"`
	Charset        string `parquet:"charset,optional,dict" doc:"charset parameter, lower case, when given"`
	Present        bool   `parquet:"present" doc:"false only for key 0"`
}

// DimSourceFile is the row of dim_source_file: one capture file processed.
type DimSourceFile struct {
	SourceFileKey     int64   `parquet:"source_file_key" doc:"hash of base name, size and first packet time"`
	Name              string  `parquet:"name" doc:"base name"`
	Path              string  `parquet:"path" doc:"path as given to ingest (absolute)"`
	SizeBytes         int64   `parquet:"size_bytes" doc:"size on disk"`
	Container         string  `parquet:"container,dict" doc:"pcap or pcapng"`
	Compression       string  `parquet:"compression,dict" doc:"none, gzip or zstd"`
	LinkType          string  `parquet:"link_type,dict" doc:"link type of the (first) interface"`
	FirstPacketTS     int64   `parquet:"first_packet_ts,optional,timestamp(microsecond:utc)" doc:"first packet time"`
	LastPacketTS      int64   `parquet:"last_packet_ts,optional,timestamp(microsecond:utc)" doc:"last packet time read"`
	CaptureBytes      int64   `parquet:"capture_bytes" doc:"bytes read after decompression"`
	Packets           int64   `parquet:"packets" doc:"packets read"`
	TCPPackets        int64   `parquet:"tcp_packets" doc:"TCP segments decoded"`
	NonTCPPackets     int64   `parquet:"non_tcp_packets" doc:"other decodable packets"`
	Fragments         int64   `parquet:"ip_fragments" doc:"IP fragments held for reassembly or dropped (the one completing a datagram counts as what it carries)"`
	Undecodable       int64   `parquet:"undecodable_packets" doc:"malformed headers"`
	UnsupportedLink   int64   `parquet:"unsupported_link_packets" doc:"packets of an unsupported link type"`
	TruncatedPackets  int64   `parquet:"truncated_packets" doc:"TCP segments cut by the snap length"`
	AcksSeen          int64   `parquet:"acks_seen" doc:"ACKs seen (capture loss denominator)"`
	AcksForUnseenData int64   `parquet:"acks_for_unseen_data" doc:"ACKs for bytes never captured (capture loss numerator)"`
	CaptureLossPct    float64 `parquet:"capture_loss_pct" doc:"100 * acks_for_unseen_data / acks_seen, like Zeek's capture_loss.log"`
	Error             string  `parquet:"error,optional" doc:"damage that stopped reading, with its byte offset; null when read to the end"`
	ErrorOffset       int64   `parquet:"error_offset,optional" doc:"byte offset (decompressed) of the damage"`
	// Added in schema version 2.
	TunnelledPackets     int64  `parquet:"tunnelled_packets" doc:"packets taken out of a tunnel or encapsulation (IP-in-IP, GRE, VXLAN, Geneve, GTP-U, Teredo, AYIYA, PPPoE, MPLS) (v2)"`
	EncapErrors          int64  `parquet:"encap_errors" doc:"malformed or too deeply nested tunnel headers, or a malformed packet inside a tunnel (v2)"`
	DatagramsReassembled int64  `parquet:"ip_datagrams_reassembled" doc:"IP datagrams rebuilt from fragments (v2)"`
	FragmentsDropped     int64  `parquet:"ip_fragments_dropped" doc:"fragments discarded: malformed, inconsistent, or of a datagram evicted before it was complete (v2)"`
	ContentXXH64         string `parquet:"content_xxh64,optional" doc:"xxHash64 of the file as stored, hex, as in the ledger; null if it could not be read (v2)"`
}
