package logs

import (
	"strings"
	"time"
)

// Header is one header line as sent: its name in the case it was sent in
// and its value without surrounding whitespace.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Record is one exchange as the formats see it: the fact row with its
// User-Agent and Referer resolved through their dimensions and, when the
// http_header table exists and a format needs it, every header line.
//
// Strings hold the exact wire bytes where the warehouse keeps them (raw
// columns when not valid UTF-8); formats escape them when rendering.
type Record struct {
	ExchangeID             int64
	ClientIP, ServerIP     string // the TCP peers as captured
	ClientPort, ServerPort int
	// RemoteIP is the client address after --client-ip resolution
	// (X-Forwarded-For, Forwarded); empty means ClientIP.
	RemoteIP string

	HasRequest    bool
	RequestLine   string // exact bytes (raw column when not valid UTF-8)
	Method        string
	URI           string
	Query         string
	HasQuery      bool
	Version       string
	Host          string
	HasHost       bool
	AuthUser      string
	HasAuthUser   bool
	UserAgent     string
	HasUA         bool
	Referrer      string
	HasReferrer   bool
	XForwardedFor string
	HasXFF        bool

	HasResponse      bool
	Status           int
	Reason           string
	ResponseVersion  string
	RequestComplete  bool
	ResponseComplete bool

	RequestHeaderBytes, RequestBodyWireBytes, RequestBodyBytes    int64
	ResponseHeaderBytes, ResponseBodyWireBytes, ResponseBodyBytes int64
	// ResponseInterimBytes are 1xx interim responses (100 Continue) sent
	// before the final one: on the wire, and counted by nginx as body.
	ResponseInterimBytes                               int64
	RequestTS, RequestEndTS, ResponseTS, ResponseEndTS time.Time

	ConnectionID int64
	TransDepth   int
	Pipelined    bool

	// What the access-log formats have no directive for, kept so that
	// --format json loses nothing of the fact row: the last 1xx status
	// (0: none), time to first byte (nil when not measurable), bytes lost
	// to capture gaps, whether the connection was upgraded, whether the
	// stored bodies were cut, and the anomaly codes.
	InterimStatus                               int
	TTFB                                        *time.Duration
	RequestGapBytes, ResponseGapBytes           int64
	Upgraded                                    bool
	RequestTunnelBytes, ResponseTunnelBytes     int64 // when Upgraded
	RequestBodyTruncated, ResponseBodyTruncated bool
	Anomalies                                   []string

	// RequestHeaders and ResponseHeaders are every header line in wire
	// order; both nil when the headers were not loaded (no http_header
	// table, or no format needed them). Header lookups then fall back to
	// the fact's own Host, User-Agent, Referer and X-Forwarded-For.
	RequestHeaders, ResponseHeaders []Header
}

// LogTime is the instant a server would have written the line: the end of
// the response, or of the request when no response was seen.
func (r *Record) LogTime() time.Time {
	switch {
	case !r.ResponseEndTS.IsZero():
		return r.ResponseEndTS
	case !r.ResponseTS.IsZero():
		return r.ResponseTS
	case !r.RequestEndTS.IsZero():
		return r.RequestEndTS
	}
	return r.RequestTS
}

// Duration is LogTime minus the request's first byte, never negative.
func (r *Record) Duration() time.Duration {
	if r.RequestTS.IsZero() {
		return 0
	}
	d := r.LogTime().Sub(r.RequestTS)
	if d < 0 {
		return 0
	}
	return d
}

// Remote is the client address formats render: RemoteIP when resolved,
// else the TCP peer.
func (r *Record) Remote() string {
	if r.RemoteIP != "" {
		return r.RemoteIP
	}
	return r.ClientIP
}

// Vhost is the Host header normalised as dim_vhost does: lower case, no
// port, no trailing dot; "" when there was no Host.
func (r *Record) Vhost() string {
	if !r.HasHost {
		return ""
	}
	return NormaliseHost(r.Host)
}

// NormaliseHost lower-cases a Host value and strips its port and trailing
// dot ("WWW.Example.com.:8080" → "www.example.com", "[::1]:80" → "[::1]").
func NormaliseHost(h string) string {
	h = asciiLower(strings.TrimSpace(h))
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i >= 0 {
			return h[:i+1]
		}
		return h
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".")
}

// RequestHeader returns the request header name (case-insensitive): all
// occurrences joined with sep, and whether there was any. Without loaded
// headers only Host, User-Agent, Referer and X-Forwarded-For are known.
func (r *Record) RequestHeader(name, sep string) (string, bool) {
	if r.RequestHeaders == nil {
		switch strings.ToLower(name) {
		case "host":
			return r.Host, r.HasHost
		case "user-agent":
			return r.UserAgent, r.HasUA
		case "referer":
			return r.Referrer, r.HasReferrer
		case "x-forwarded-for":
			return r.XForwardedFor, r.HasXFF
		}
		return "", false
	}
	return joinHeaders(r.RequestHeaders, name, sep)
}

// ResponseHeader is RequestHeader for the response; nothing is known
// without loaded headers.
func (r *Record) ResponseHeader(name, sep string) (string, bool) {
	return joinHeaders(r.ResponseHeaders, name, sep)
}

// firstHeader returns the first occurrence only (Apache's apr_table_get on
// response headers).
func firstHeader(hs []Header, name string) (string, bool) {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

func joinHeaders(hs []Header, name, sep string) (string, bool) {
	var out string
	found := false
	for _, h := range hs {
		if !strings.EqualFold(h.Name, name) {
			continue
		}
		if found {
			out += sep + h.Value
		} else {
			out, found = h.Value, true
		}
	}
	return out, found
}

// asciiLower lower-cases ASCII letters only, keeping every other byte (as
// servers do; strings.ToLower would replace invalid UTF-8).
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
