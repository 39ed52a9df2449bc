package http1

import (
	"net/netip"
	"time"
)

// Header is one header line exactly as it was on the wire (name case and
// value bytes kept; the value has surrounding whitespace trimmed).
type Header struct {
	Name, Value string
}

// Message holds what both requests and responses have.
type Message struct {
	FirstByte time.Time // capture time of the first byte of the start line
	LastByte  time.Time // capture time of the last byte of the message (body end)

	// Version is the version word as sent: "HTTP/1.1", "HTTP/1.0", or for
	// a request with the anomaly bad_version what it had ("HTTP/1.",
	// "http/1.1"); "" for an HTTP/0.9 request and its reply.
	Version     string
	Headers     []Header // every header line in order, trailers appended after
	Trailers    int      // how many of Headers (at the end) are chunked trailers
	HeaderBytes int64    // start line + header lines + the empty line, on the wire

	// BodyWireBytes counts the body as it crossed the wire (chunk framing
	// included); BodyBytes counts the body after transfer decoding (chunked
	// removed), before content decoding.
	BodyWireBytes int64
	BodyBytes     int64

	// Body is the captured copy of the body after transfer decoding, capped
	// at the configured limit (nil when capture is off for this direction).
	Body          []byte
	BodyTruncated bool // Body holds less than BodyBytes
	// Complete is false when the message ended early (connection closed or a
	// gap made its end unknowable).
	Complete bool
	// GapBytes counts bytes of this message lost to capture gaps.
	GapBytes int64
	// DroppedHeaders counts header lines beyond Config.MaxHeaders that were
	// not kept (anomaly too_many_headers).
	DroppedHeaders int
}

// Get returns the value of the first header named name (ASCII case-insensitive)
// and whether it was present.
func (m *Message) Get(name string) (string, bool) {
	for i := range m.Headers[:len(m.Headers)-m.Trailers] {
		if equalFold(m.Headers[i].Name, name) {
			return m.Headers[i].Value, true
		}
	}
	return "", false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// Request is one parsed HTTP request.
type Request struct {
	Message
	Line   string // the raw request line without CRLF, e.g. "GET /a?b=1 HTTP/1.1"
	Method string
	// Target is the request-target as sent (origin-form, absolute-form,
	// ...); empty when the line has none (anomaly missing_uri).
	Target string
}

// Response is one parsed HTTP response (the final one; 1xx are folded in).
// The reply to an HTTP/0.9 request has no status line: Status is 0 and the
// whole reply is the body.
type Response struct {
	Message
	Status int
	Reason string
	// Interim is the last 1xx status seen before the final response (0 if none).
	// FirstByte is then the first byte of the first interim response (the
	// server's first answer).
	Interim int
	// InterimBytes counts the bytes of all interim (1xx) responses; they are
	// not in HeaderBytes. The response's wire size is InterimBytes +
	// HeaderBytes + BodyWireBytes. (nginx counts "100 Continue" in its
	// $body_bytes_sent, i.e. BodyWireBytes + InterimBytes.)
	InterimBytes int64
}

// Exchange is one request with the response that answered it.
type Exchange struct {
	ConnID         uint64
	Client, Server netip.AddrPort
	// Depth is the 1-based position of the exchange in its connection
	// (Zeek's trans_depth).
	Depth int

	Request  *Request  // nil when a response arrived with no request seen
	Response *Response // nil when the request got no response (response_missing)

	// Pipelined is true when the request was sent before the response to
	// the previous request was complete.
	Pipelined bool
	// Upgraded is true for 101 Switching Protocols or a 2xx answer to
	// CONNECT: the parser stops interpreting the connection after it.
	Upgraded bool
	// Anomalies are short codes (see anomalies.go) for protocol oddities.
	Anomalies []string
	// TunnelBytes counts the bytes that followed an upgrade (Upgraded), by
	// direction: [0] client to server, [1] server to client. An upgraded
	// exchange is emitted when the connection closes so the counts are final.
	TunnelBytes [2]int64
}
