package logs

import "time"

// Record is one exchange as the formats see it: the fact row with its
// User-Agent and Referer resolved through their dimensions.
type Record struct {
	ClientIP, ServerIP     string
	ClientPort, ServerPort int

	HasRequest  bool
	RequestLine string // exact bytes (raw column when not valid UTF-8)
	Method      string
	URI         string
	Query       string
	HasQuery    bool
	Version     string
	Host        string
	HasHost     bool
	AuthUser    string
	HasAuthUser bool
	UserAgent   string
	HasUA       bool
	Referrer    string
	HasReferrer bool

	HasResponse bool
	Status      int

	RequestHeaderBytes, RequestBodyWireBytes   int64
	ResponseHeaderBytes, ResponseBodyWireBytes int64
	// ResponseInterimBytes are 1xx interim responses (100 Continue) sent
	// before the final one: on the wire, and counted by nginx as body.
	ResponseInterimBytes                               int64
	RequestTS, RequestEndTS, ResponseTS, ResponseEndTS time.Time

	ConnectionID int64
	TransDepth   int
	Pipelined    bool
}

// LogTime is the instant a server would have written the line: the end of
// the response, or of the request when no response was seen.
func (r *Record) LogTime() time.Time {
	for _, t := range []time.Time{r.ResponseEndTS, r.ResponseTS, r.RequestEndTS, r.RequestTS} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
