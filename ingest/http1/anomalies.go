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
	// AnomOversizedHeader: the header (or trailer) block exceeded
	// Config.MaxHeaderBytes; the message is incomplete and the parser
	// resynchronises.
	AnomOversizedHeader = "oversized_header"
	// AnomTooManyHeaders: more than Config.MaxHeaders header lines; the
	// extra lines are dropped (Message.DroppedHeaders).
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
	// response that arrives for it later is emitted without a request.
	AnomPipelineOverflow = "pipeline_overflow"
	// AnomHTTP09: an HTTP/0.9 request line (no version); its response is
	// the raw bytes until close.
	AnomHTTP09 = "http09"
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
