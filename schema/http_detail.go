package schema

// The detail tables below hold what fact_http_exchange summarises: every
// header line, every captured body and every request parameter. They are
// partitioned exactly like the exchange they belong to (date=/hour= of
// exchange's request_ts, or response_ts when no request was seen) and join
// it on exchange_id, so a query that filters fact_http_exchange by
// partition prunes the detail tables the same way.

// HTTPHeader is the row of http_header: one header line of one message,
// trailers included, in wire order. Nothing is normalised away: name keeps
// its case as sent (name_lower is there for joins and filters), and
// repeated headers are separate rows.
type HTTPHeader struct {
	ExchangeID   int64  `parquet:"exchange_id" doc:"joins fact_http_exchange"`
	ConnectionID int64  `parquet:"connection_id" doc:"joins fact_tcp_connection"`
	DateKey      int32  `parquet:"date_key" doc:"YYYYMMDD (UTC) of the exchange; joins dim_date"`
	Direction    string `parquet:"direction,dict" doc:"'request' or 'response'"`
	Ordinal      int32  `parquet:"ordinal" doc:"0-based position of the line in its message's header block; trailers continue the count"`
	IsTrailer    bool   `parquet:"is_trailer" doc:"the line came in a chunked trailer, after the body"`
	Name         string `parquet:"name,dict" doc:"header name as sent (case kept; invalid UTF-8 replaced by U+FFFD)"`
	NameLower    string `parquet:"name_lower,dict" doc:"header name in ASCII lower case, for filtering and joins"`
	NameRaw      []byte `parquet:"name_raw,optional" doc:"exact bytes of name when they are not valid UTF-8, else null"`
	Value        string `parquet:"value" doc:"header value as sent, surrounding whitespace trimmed (invalid UTF-8 replaced by U+FFFD)"`
	ValueRaw     []byte `parquet:"value_raw,optional" doc:"exact bytes of value when they are not valid UTF-8, else null"`
	RequestTS    int64  `parquet:"request_ts,optional,timestamp(microsecond:utc)" doc:"the exchange's partition time (request_ts, or response_ts when no request was seen); rows sort by it"`
}

// HTTPBody is the row of http_body: one message body that was captured
// (the parser keeps bodies up to --request-body-limit / --response-body-limit;
// a message without captured bytes has no row).
//
// sha256 is only given when the stored bytes are the whole body: spanlake
// sees only what it captured, and a hash of a prefix (or of a body with a
// capture gap) would look like a content fingerprint while matching
// nothing a server or client ever held.
type HTTPBody struct {
	ExchangeID      int64  `parquet:"exchange_id" doc:"joins fact_http_exchange"`
	ConnectionID    int64  `parquet:"connection_id" doc:"joins fact_tcp_connection"`
	DateKey         int32  `parquet:"date_key" doc:"YYYYMMDD (UTC) of the exchange; joins dim_date"`
	Direction       string `parquet:"direction,dict" doc:"'request' or 'response'"`
	ContentType     string `parquet:"content_type,optional,dict" doc:"media type of the Content-Type header, lower case, parameters removed; null when absent"`
	ContentEncoding string `parquet:"content_encoding,optional,dict" doc:"Content-Encoding header as sent; null when absent"`
	TransferChunked bool   `parquet:"transfer_chunked" doc:"the body was sent with chunked transfer coding"`
	WireBytes       int64  `parquet:"wire_bytes" doc:"body bytes on the wire (chunk framing included)"`
	BodyBytes       int64  `parquet:"body_bytes" doc:"body length after transfer decoding (chunked removed), before content decoding"`
	CapturedBytes   int64  `parquet:"captured_bytes" doc:"transfer-decoded bytes the parser kept (<= body_bytes)"`
	Body            []byte `parquet:"body" doc:"stored body: the captured bytes after content decoding, capped. Decoding goes as far as it can: raw bytes when there is no or an unsupported content coding; a coding that fails before producing anything is skipped, one that fails later keeps what it produced (decode_error says so)"`
	DecodedBytes    *int64 `parquet:"decoded_bytes,optional" doc:"length after content decoding; counts beyond the stored cap as long as decoding could go on; equals body_bytes for identity bodies; null when decoding failed before the end"`
	Truncated       bool   `parquet:"truncated" doc:"body holds less than the whole (decoded) body: capture limit, capture gap, early end or the stored cap"`
	DecodeError     string `parquet:"decode_error,optional,dict" doc:"why content decoding failed or stopped: unsupported_encoding, corrupt, decompression_limit, truncated_input; null when fine"`
	SHA256          string `parquet:"sha256,optional" doc:"hex SHA-256 of the transfer-decoded body when the whole body was captured and complete; null otherwise (we only see what we captured)"`
	SHA256Decoded   string `parquet:"sha256_decoded,optional" doc:"hex SHA-256 of the stored body (content-decoded); of a prefix when truncated"`
	Redacted        bool   `parquet:"redacted" doc:"the body carried a secret parameter (see README, Privacy): body and hashes are not stored unless --keep-secrets"`
	RequestTS       int64  `parquet:"request_ts,optional,timestamp(microsecond:utc)" doc:"the exchange's partition time; rows sort by it"`
}

// HTTPParam is the row of http_param: one parameter of a request, from the
// query string, an urlencoded form body, a multipart/form-data body or the
// top-level fields of a JSON object body.
type HTTPParam struct {
	ExchangeID      int64  `parquet:"exchange_id" doc:"joins fact_http_exchange"`
	ConnectionID    int64  `parquet:"connection_id" doc:"joins fact_tcp_connection"`
	DateKey         int32  `parquet:"date_key" doc:"YYYYMMDD (UTC) of the exchange; joins dim_date"`
	Source          string `parquet:"source,dict" doc:"'query', 'form', 'multipart' or 'json'"`
	Ordinal         int32  `parquet:"ordinal" doc:"0-based position of the parameter within its source"`
	Name            string `parquet:"name,dict" doc:"parameter name, percent-decoded for query and form (a bad escape keeps the raw text)"`
	NameRaw         []byte `parquet:"name_raw,optional" doc:"exact bytes of name when not valid UTF-8, else null"`
	Value           string `parquet:"value" doc:"value, decoded like name, capped at 1 KiB; JSON non-strings as compact JSON text; '' when has_value is false"`
	HasValue        bool   `parquet:"has_value" doc:"false for a query/form key without '=', a JSON null and a multipart file part (its content is in http_body)"`
	ValueRaw        []byte `parquet:"value_raw,optional" doc:"exact bytes of (capped) value when not valid UTF-8, else null"`
	ValueTruncated  bool   `parquet:"value_truncated" doc:"value was longer than the cap (or its body was truncated mid-value)"`
	Filename        string `parquet:"filename,optional" doc:"multipart: filename parameter of the part's Content-Disposition"`
	PartContentType string `parquet:"part_content_type,optional,dict" doc:"multipart: Content-Type of the part as sent"`
	PartSize        *int64 `parquet:"part_size,optional" doc:"multipart: bytes of the part's content seen in the captured body"`
	RequestTS       int64  `parquet:"request_ts,optional,timestamp(microsecond:utc)" doc:"the exchange's partition time; rows sort by it"`
}
