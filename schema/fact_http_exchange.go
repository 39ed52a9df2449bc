package schema

// FactHTTPExchange is the row of fact_http_exchange: one HTTP request with
// the response that answered it (or a response no request was seen for).
//
// Raw copies of the request line, Host, X-Forwarded-For and the Basic-auth
// user are kept on the fact (not only in dimensions) because access-log
// rendering needs them byte for byte for every row.
type FactHTTPExchange struct {
	ExchangeID     int64 `parquet:"exchange_id" doc:"hash of (connection_id, trans_depth); stable across runs"`
	ConnectionID   int64 `parquet:"connection_id" doc:"hash of client and server address/port and first packet time (not the VLAN); joins fact_tcp_connection"`
	DateKey        int32 `parquet:"date_key" doc:"YYYYMMDD (UTC) of request_ts; joins dim_date"`
	TimeKey        int32 `parquet:"time_key" doc:"minute of the day (UTC) of request_ts; joins dim_time"`
	ClientKey      int64 `parquet:"client_key" doc:"client IP; joins dim_endpoint"`
	ServerKey      int64 `parquet:"server_key" doc:"server IP; joins dim_endpoint"`
	VhostKey       int64 `parquet:"vhost_key" doc:"normalised Host header; joins dim_vhost (0 = no Host)"`
	URLKey         int64 `parquet:"url_key" doc:"request path without query; joins dim_url (0 = no request)"`
	UserAgentKey   int64 `parquet:"user_agent_key" doc:"User-Agent header; joins dim_user_agent (0 = absent)"`
	ReferrerKey    int64 `parquet:"referrer_key" doc:"Referer header; joins dim_referrer (0 = absent)"`
	ContentTypeKey int64 `parquet:"content_type_key" doc:"response Content-Type; joins dim_content_type (0 = absent)"`
	SourceFileKey  int64 `parquet:"source_file_key" doc:"capture file holding the exchange's first byte; joins dim_source_file"`

	ClientIP   string `parquet:"client_ip,dict" doc:"client address as text (degenerate copy of dim_endpoint for log rendering)"`
	ClientPort int32  `parquet:"client_port" doc:"client TCP port"`
	ServerIP   string `parquet:"server_ip,dict" doc:"server address as text"`
	ServerPort int32  `parquet:"server_port" doc:"server TCP port"`
	TransDepth int32  `parquet:"trans_depth" doc:"1-based position of the exchange in its connection (Zeek's trans_depth)"`

	Method         string `parquet:"method,optional,dict" doc:"request method as sent; null when no request was seen"`
	RequestVersion string `parquet:"http_version,optional,dict" doc:"request protocol, e.g. HTTP/1.1"`
	RequestLine    string `parquet:"request_line,optional" doc:"request line exactly as sent, without CRLF"`
	RequestLineRaw []byte `parquet:"request_line_raw,optional" doc:"exact bytes of request_line when they are not valid UTF-8, else null"`
	URI            string `parquet:"uri,optional" doc:"request-target as sent (path and query, undecoded)"`
	Query          string `parquet:"query,optional" doc:"part of the target after '?', undecoded; null when there is no '?'"`
	Host           string `parquet:"host,optional" doc:"Host header exactly as sent"`
	XForwardedFor  string `parquet:"x_forwarded_for,optional" doc:"X-Forwarded-For header exactly as sent (all occurrences joined with ', ')"`
	AuthUser       string `parquet:"auth_user,optional" doc:"user name of Basic authorization (the password is never stored)"`

	StatusCode      int32  `parquet:"status_code,optional" doc:"final response status; null when no response was seen"`
	Reason          string `parquet:"reason,optional,dict" doc:"reason phrase as sent"`
	ResponseVersion string `parquet:"response_version,optional,dict" doc:"response protocol"`
	InterimStatus   int32  `parquet:"interim_status,optional" doc:"last 1xx status before the final response (e.g. 100), else null"`

	RequestTS     int64  `parquet:"request_ts,optional,timestamp(microsecond:utc)" doc:"capture time of the request's first byte"`
	RequestEndTS  int64  `parquet:"request_end_ts,optional,timestamp(microsecond:utc)" doc:"capture time of the request's last byte"`
	ResponseTS    int64  `parquet:"response_ts,optional,timestamp(microsecond:utc)" doc:"capture time of the response's first byte"`
	ResponseEndTS int64  `parquet:"response_end_ts,optional,timestamp(microsecond:utc)" doc:"capture time of the response's last byte"`
	TTFBMicros    *int64 `parquet:"ttfb_us,optional" doc:"response_ts - request_end_ts in microseconds (time to first byte after the request was sent)"`
	DurationUs    *int64 `parquet:"duration_us,optional" doc:"response_end_ts - request_ts in microseconds"`

	RequestHeaderBytes    int64 `parquet:"request_header_bytes" doc:"request line + headers + blank line, on the wire"`
	RequestBodyWireBytes  int64 `parquet:"request_body_wire_bytes" doc:"request body on the wire (chunk framing included)"`
	RequestBodyBytes      int64 `parquet:"request_body_bytes" doc:"request body after transfer decoding (chunked removed)"`
	ResponseHeaderBytes   int64 `parquet:"response_header_bytes" doc:"status line + headers + blank line, on the wire"`
	ResponseBodyWireBytes int64 `parquet:"response_body_wire_bytes" doc:"response body on the wire (chunk framing included; nginx's body_bytes_sent)"`
	ResponseBodyBytes     int64 `parquet:"response_body_bytes" doc:"response body after transfer decoding"`
	ResponseInterimBytes  int64 `parquet:"response_interim_bytes" doc:"bytes of 1xx interim responses (e.g. 100 Continue) before the final one; nginx counts them in body_bytes_sent"`
	RequestGapBytes       int64 `parquet:"request_gap_bytes" doc:"bytes of the request lost to capture gaps"`
	ResponseGapBytes      int64 `parquet:"response_gap_bytes" doc:"bytes of the response lost to capture gaps"`

	RequestMissing        bool     `parquet:"request_missing" doc:"a response was seen with no request before it"`
	ResponseMissing       bool     `parquet:"response_missing" doc:"the request got no response in the capture"`
	RequestComplete       bool     `parquet:"request_complete" doc:"the request was seen to its last byte"`
	ResponseComplete      bool     `parquet:"response_complete" doc:"the response was seen to its last byte"`
	Pipelined             bool     `parquet:"pipelined" doc:"the request was sent before the previous response had ended"`
	Upgraded              bool     `parquet:"upgraded" doc:"101 Switching Protocols or a CONNECT answered 2xx: what followed went through the tunnel (counted in *_tunnel_bytes; plain-text HTTP through a CONNECT tunnel is parsed as the next exchanges)"`
	RequestBodyTruncated  bool     `parquet:"request_body_truncated" doc:"the stored request body is shorter than the body"`
	ResponseBodyTruncated bool     `parquet:"response_body_truncated" doc:"the stored response body is shorter than the body"`
	Anomalies             []string `parquet:"anomalies,list" doc:"short codes of protocol oddities (see README, 'Anomaly codes')"`

	RequestTunnelBytes  *int64 `parquet:"request_tunnel_bytes,optional" doc:"upgraded exchanges: bytes the client sent through the tunnel (lost ones included); null when not upgraded (v3)"`
	ResponseTunnelBytes *int64 `parquet:"response_tunnel_bytes,optional" doc:"upgraded exchanges: bytes the server sent through the tunnel (lost ones included); null when not upgraded (v3)"`
}
