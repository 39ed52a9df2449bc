package http1

// Anomaly codes stored in Exchange.Anomalies (and, for the few that belong
// to no exchange, in reassembly.ConnRecord.Anomalies). They are data about
// the traffic, not errors of the parser. Each code appears at most once per
// exchange.
const (
	// AnomBareLF: a line ended in LF without CR.
	AnomBareLF = "bare_lf"
	// AnomObsFold: a header value continued on the next line (obsolete
	// line folding); the parts are joined with one space.
	AnomObsFold = "obs_fold"
	// AnomSpaceBeforeColon: whitespace between a header name and its colon
	// (removed from the stored name).
	AnomSpaceBeforeColon = "space_before_colon"
	// AnomMissingHost: an HTTP/1.1 request without a Host header.
	AnomMissingHost = "missing_host"
	// AnomCLAndChunked: both Content-Length and chunked Transfer-Encoding;
	// chunked wins (RFC 9112 6.3).
	AnomCLAndChunked = "cl_and_chunked"
	// AnomConflictingContentLength: several Content-Length values that
	// differ; the first is used.
	AnomConflictingContentLength = "conflicting_content_length"
	// AnomBadContentLength: a Content-Length that is not a number. A request
	// is then taken as bodiless, a response as close-delimited.
	AnomBadContentLength = "bad_content_length"
	// AnomBadChunkSize: a chunk-size line (or the CRLF after chunk data)
	// that cannot be parsed; the message is incomplete and the parser
	// resynchronises.
	AnomBadChunkSize = "bad_chunk_size"
	// AnomLenientChunkSize: a chunk-size line with blanks the grammar does
	// not allow (SP/HTAB before the size; VT, FF or CR after it), or empty
	// lines before it; taken as browsers take them.
	AnomLenientChunkSize = "lenient_chunk_size"
	// AnomTEInHTTP10: an HTTP/1.0 response with a Transfer-Encoding. RFC
	// 9112 6.1 makes such framing faulty (Content-Length too): the body
	// runs to the close, as browsers read it.
	AnomTEInHTTP10 = "transfer_encoding_http10"
	// AnomOversizedHeader: the header (or trailer) block exceeded
	// Config.MaxHeaderBytes; the message is incomplete (Complete false),
	// with the first MaxHeaderBytes as its HeaderBytes and the header lines
	// of that part not kept. The rest of the block is skipped to its empty
	// line without being kept. When that is where the message ends (a
	// request or a 204/304/HEAD response with no Content-Length or
	// Transfer-Encoding line in the block, or a trailer block) parsing goes
	// on in place and the next exchanges are not affected. Otherwise the
	// length of the body is unknown: the parser resynchronises and, as for
	// header_gap, the exchanges paired before the pairing is trusted again
	// carry oversized_header too (on an exchange whose own messages are
	// intact it means its pairing may be wrong). MaxHeaderBytes is checked
	// as the block arrives, so with short lines it is reached before
	// too_many_headers: 100,000 lines of about 12 bytes give
	// oversized_header alone.
	AnomOversizedHeader = "oversized_header"
	// AnomTooManyHeaders: more than Config.MaxHeaders header lines in a
	// block that fits in Config.MaxHeaderBytes; the first MaxHeaders are
	// kept, the extra lines are dropped and counted (Message.DroppedHeaders);
	// the message is otherwise complete and parsed normally: framing
	// headers (Content-Length, Transfer-Encoding) among the dropped lines
	// still delimit the body, so the position is kept.
	AnomTooManyHeaders = "too_many_headers"
	// AnomNonHTTPData: bytes that are not HTTP where a start line was
	// expected were skipped.
	AnomNonHTTPData = "non_http_data"
	// AnomResponseWithoutRequest: a response with no request to pair with
	// (Exchange.Request is nil).
	AnomResponseWithoutRequest = "response_without_request"
	// AnomUnknownMethod: a syntactically valid method that is not a
	// registered one.
	AnomUnknownMethod = "unknown_method"
	// AnomHeaderGap: capture bytes were lost in or before a header block;
	// on an exchange that is otherwise intact it means the pairing of this
	// exchange may be wrong because whole messages may have been lost.
	AnomHeaderGap = "header_gap"
	// AnomBodyGap: capture bytes were lost in a body (Message.GapBytes).
	AnomBodyGap = "body_gap"
	// AnomTruncated: the connection ended inside the message.
	AnomTruncated = "truncated"
	// AnomPipelineOverflow: more than Config.MaxPipelineDepth requests were
	// waiting; the oldest was emitted without its response, and the
	// response that arrives for it later is emitted without a request (with
	// response_without_request and pipeline_overflow), as soon as it ends,
	// ahead of the requests still waiting: every such response is emitted,
	// none is held back or dropped, while the parser holds at most about
	// MaxPipelineDepth exchanges.
	AnomPipelineOverflow = "pipeline_overflow"
	// AnomHTTP09: an HTTP/0.9 request line (no version); its response is
	// the raw bytes until close, status line or not (Response.Status 0,
	// Version ""), as Zeek has it.
	AnomHTTP09 = "http09"
	// AnomHTTP09Method: an HTTP/0.9 request line with a registered method
	// other than GET ("POST /x"); taken like "GET /x", as Zeek does (its
	// weird: invalid_http_09_request_method). An unregistered method
	// without a version is not taken as a request.
	AnomHTTP09Method = "http09_method"
	// AnomHTTP09Headers: header lines followed an HTTP/0.9 request line
	// (typically "GET /HTTP/1.1" with the space before the version
	// missing); they are parsed as the request's header block, as Zeek
	// does. A line after the request line that is neither a header line
	// nor the empty line starts the next request instead.
	AnomHTTP09Headers = "http09_headers"
	// AnomHTTP09StatusLine: the raw reply to an HTTP/0.9 request begins
	// with "HTTP/" (the server answered as to HTTP/1.x); it is kept whole
	// as the body with status 0, as Zeek does.
	AnomHTTP09StatusLine = "http09_status_line"
	// AnomHTTP09Cut: a response without request was still arriving when an
	// HTTP/0.9 request came; it ends there (incomplete) and what the
	// server sends next is the 0.9 reply, as Zeek does
	// (http_09_reply_before_request).
	AnomHTTP09Cut = "http09_cut"
	// AnomMissingURI: a request line with a method and a version but no
	// target ("OPTIONS HTTP/1.1", "GET  HTTP/1.1"); the target is empty,
	// as Zeek has it (missing_HTTP_uri).
	AnomMissingURI = "missing_uri"
	// AnomBadVersion: the version of a request line starts with "HTTP/1"
	// but is not exactly "HTTP/1.x" ("HTTP/1.", "http/1.1", or something
	// after it: "HTTP/1.1 x"); the request is parsed as HTTP/1.x with
	// Message.Version the word as sent, the target ending at the blank
	// before the version, as Zeek does (its bad_HTTP_version event). On a
	// status line: a version "HTTP/d.d" other than 1.x ("HTTP/2.0 200").
	AnomBadVersion = "bad_version"
	// AnomBadStatusLine: a status line with several blanks before the
	// status or more than a blank after its three digits ("HTTP/1.1  200",
	// "HTTP/1.1 0204 ok"); the status is the first three digits, as Zeek
	// and tshark read it. (A response version other than 1.x in the same
	// syntax, "HTTP/2.0 200 ok", is AnomBadVersion.)
	AnomBadStatusLine = "bad_status_line"
	// AnomRolesSwapped (connection record only): the connection was picked
	// up mid-stream with client and server guessed the wrong way round; the
	// parser swapped them.
	AnomRolesSwapped = "http_roles_swapped"
)

// addAnomaly appends code to list unless it is already there, so the list
// stays bounded by the number of codes.
func addAnomaly(list []string, code string) []string {
	for _, a := range list {
		if a == code {
			return list
		}
	}
	return append(list, code)
}
