package logs

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultW3CFields are the fields IIS logs by default.
var DefaultW3CFields = []string{
	"date", "time", "s-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "s-port",
	"cs-username", "c-ip", "cs(User-Agent)", "cs(Referer)", "sc-status",
	"sc-substatus", "sc-win32-status", "time-taken",
}

// w3cField returns a field's value; "" is written as '-'. Times are UTC,
// as IIS writes them.
type w3cField func(r *Record) string

func w3cFieldFor(name string) (w3cField, bool, error) {
	lower := strings.ToLower(name)
	if h, ok := strings.CutPrefix(lower, "cs("); ok && strings.HasSuffix(h, ")") {
		hdr := name[3 : len(name)-1]
		return func(r *Record) string { v, _ := r.RequestHeader(hdr, ","); return v }, !factHeader(hdr), nil
	}
	if h, ok := strings.CutPrefix(lower, "sc("); ok && strings.HasSuffix(h, ")") {
		hdr := name[3 : len(name)-1]
		return func(r *Record) string { v, _ := r.ResponseHeader(hdr, ","); return v }, true, nil
	}
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	switch lower {
	case "date":
		return func(r *Record) string { return r.LogTime().UTC().Format("2006-01-02") }, false, nil
	case "time":
		return func(r *Record) string { return r.LogTime().UTC().Format("15:04:05") }, false, nil
	case "s-ip":
		return func(r *Record) string { return r.ServerIP }, false, nil
	case "c-ip":
		return func(r *Record) string { return r.Remote() }, false, nil
	case "s-port":
		return func(r *Record) string { return strconv.Itoa(r.ServerPort) }, false, nil
	case "cs-method":
		return func(r *Record) string { return r.Method }, false, nil
	case "cs-uri-stem":
		return func(r *Record) string {
			if !r.HasRequest {
				return ""
			}
			return apacheURIPath(r.URI)
		}, false, nil
	case "cs-uri-query":
		return func(r *Record) string { return r.Query }, false, nil
	case "cs-username":
		return func(r *Record) string { return r.AuthUser }, false, nil
	case "cs-version":
		return func(r *Record) string { return r.Version }, false, nil
	case "cs-host":
		return func(r *Record) string { return r.Host }, false, nil
	case "sc-status":
		return func(r *Record) string {
			if !r.HasResponse {
				return ""
			}
			return strconv.Itoa(r.Status)
		}, false, nil
	case "sc-substatus", "sc-win32-status":
		// IIS-internal codes; IIS writes 0 when there is nothing to say.
		return func(*Record) string { return "0" }, false, nil
	case "time-taken":
		return func(r *Record) string { return num(r.Duration().Milliseconds()) }, false, nil
	case "sc-bytes":
		return func(r *Record) string {
			return num(r.ResponseInterimBytes + r.ResponseHeaderBytes + r.ResponseBodyWireBytes)
		}, false, nil
	case "cs-bytes":
		return func(r *Record) string { return num(r.RequestHeaderBytes + r.RequestBodyWireBytes) }, false, nil
	case "s-sitename", "s-computername":
		return func(*Record) string { return "" }, false, nil
	}
	return nil, false, fmt.Errorf("log format: unknown W3C field %q", name)
}

func compileW3C(fields []string) (*Format, error) {
	if len(fields) == 0 {
		return nil, fmt.Errorf("log format: w3c needs at least one field")
	}
	out := &Format{}
	fns := make([]w3cField, len(fields))
	for i, name := range fields {
		f, headers, err := w3cFieldFor(name)
		if err != nil {
			return nil, err
		}
		fns[i] = f
		out.needsHeaders = out.needsHeaders || headers
	}
	out.items = []item{func(dst []byte, r *Record, _ *time.Location) []byte {
		for i, f := range fns {
			if i > 0 {
				dst = append(dst, ' ')
			}
			dst = w3cEscape(dst, f(r))
		}
		return dst
	}}
	header := "#Software: spanlake\n#Version: 1.0\n"
	var names []byte
	for i, f := range fields {
		if i > 0 {
			names = append(names, ' ')
		}
		names = w3cEscape(names, f)
	}
	out.preamble = func(dst []byte, first time.Time) []byte {
		dst = append(dst, header...)
		dst = append(dst, "#Date: "...)
		dst = first.UTC().AppendFormat(dst, "2006-01-02 15:04:05")
		dst = append(dst, "\n#Fields: "...)
		dst = append(dst, names...)
		return append(dst, '\n')
	}
	return out, nil
}

// jsonRecord is the --format json object: every field of the Record, so
// every column of fact_http_exchange that is not a dimension key.
// Strings that are not valid UTF-8 have their invalid bytes replaced by
// U+FFFD (JSON cannot carry raw bytes); the Parquet raw columns keep them.
type jsonRecord struct {
	ExchangeID            int64    `json:"exchange_id"`
	ConnectionID          int64    `json:"connection_id"`
	TransDepth            int      `json:"trans_depth"`
	LogTime               string   `json:"log_time"`
	ClientIP              string   `json:"client_ip"`
	ClientPort            int      `json:"client_port"`
	RemoteIP              string   `json:"remote_ip"`
	ServerIP              string   `json:"server_ip"`
	ServerPort            int      `json:"server_port"`
	Vhost                 *string  `json:"vhost"`
	RequestLine           *string  `json:"request_line"`
	Method                *string  `json:"method"`
	URI                   *string  `json:"uri"`
	Query                 *string  `json:"query"`
	Version               *string  `json:"http_version"`
	Host                  *string  `json:"host"`
	AuthUser              *string  `json:"auth_user"`
	UserAgent             *string  `json:"user_agent"`
	Referrer              *string  `json:"referrer"`
	XForwardedFor         *string  `json:"x_forwarded_for"`
	Status                *int     `json:"status"`
	Reason                *string  `json:"reason"`
	ResponseVersion       *string  `json:"response_version"`
	RequestComplete       bool     `json:"request_complete"`
	ResponseComplete      bool     `json:"response_complete"`
	Pipelined             bool     `json:"pipelined"`
	RequestHeaderBytes    int64    `json:"request_header_bytes"`
	RequestBodyWireBytes  int64    `json:"request_body_wire_bytes"`
	RequestBodyBytes      int64    `json:"request_body_bytes"`
	ResponseHeaderBytes   int64    `json:"response_header_bytes"`
	ResponseBodyWireBytes int64    `json:"response_body_wire_bytes"`
	ResponseBodyBytes     int64    `json:"response_body_bytes"`
	ResponseInterimBytes  int64    `json:"response_interim_bytes"`
	RequestTS             *string  `json:"request_ts"`
	RequestEndTS          *string  `json:"request_end_ts"`
	ResponseTS            *string  `json:"response_ts"`
	ResponseEndTS         *string  `json:"response_end_ts"`
	DurationUs            int64    `json:"duration_us"`
	TTFBUs                *int64   `json:"ttfb_us"`
	InterimStatus         *int     `json:"interim_status"`
	RequestGapBytes       int64    `json:"request_gap_bytes"`
	ResponseGapBytes      int64    `json:"response_gap_bytes"`
	Upgraded              bool     `json:"upgraded"`
	RequestTunnelBytes    *int64   `json:"request_tunnel_bytes"`
	ResponseTunnelBytes   *int64   `json:"response_tunnel_bytes"`
	RequestBodyTruncated  bool     `json:"request_body_truncated"`
	ResponseBodyTruncated bool     `json:"response_body_truncated"`
	Anomalies             []string `json:"anomalies"`
	RequestHeaders        []Header `json:"request_headers,omitempty"`
	ResponseHeaders       []Header `json:"response_headers,omitempty"`
}

func compileJSON() *Format {
	opt := func(s string, ok bool) *string {
		if !ok {
			return nil
		}
		return &s
	}
	ts := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		s := t.UTC().Format("2006-01-02T15:04:05.000000Z")
		return &s
	}
	optInt := func(v int, ok bool) *int {
		if !ok {
			return nil
		}
		return &v
	}
	out := &Format{needsHeaders: true}
	out.items = []item{func(dst []byte, r *Record, _ *time.Location) []byte {
		j := jsonRecord{
			ExchangeID: r.ExchangeID, ConnectionID: r.ConnectionID, TransDepth: r.TransDepth,
			LogTime:  r.LogTime().UTC().Format("2006-01-02T15:04:05.000000Z"),
			ClientIP: r.ClientIP, ClientPort: r.ClientPort, RemoteIP: r.Remote(), ServerIP: r.ServerIP, ServerPort: r.ServerPort,
			Vhost:       opt(r.Vhost(), r.HasHost),
			RequestLine: opt(r.RequestLine, r.HasRequest), Method: opt(r.Method, r.HasRequest), URI: opt(r.URI, r.HasRequest),
			Query: opt(r.Query, r.HasQuery), Version: opt(r.Version, r.HasRequest), Host: opt(r.Host, r.HasHost),
			AuthUser: opt(r.AuthUser, r.HasAuthUser), UserAgent: opt(r.UserAgent, r.HasUA), Referrer: opt(r.Referrer, r.HasReferrer),
			XForwardedFor: opt(r.XForwardedFor, r.HasXFF),
			Status:        optInt(r.Status, r.HasResponse), Reason: opt(r.Reason, r.HasResponse), ResponseVersion: opt(r.ResponseVersion, r.HasResponse),
			RequestComplete: r.RequestComplete, ResponseComplete: r.ResponseComplete, Pipelined: r.Pipelined,
			RequestHeaderBytes: r.RequestHeaderBytes, RequestBodyWireBytes: r.RequestBodyWireBytes, RequestBodyBytes: r.RequestBodyBytes,
			ResponseHeaderBytes: r.ResponseHeaderBytes, ResponseBodyWireBytes: r.ResponseBodyWireBytes, ResponseBodyBytes: r.ResponseBodyBytes,
			ResponseInterimBytes: r.ResponseInterimBytes,
			RequestTS:            ts(r.RequestTS), RequestEndTS: ts(r.RequestEndTS), ResponseTS: ts(r.ResponseTS), ResponseEndTS: ts(r.ResponseEndTS),
			DurationUs:      r.Duration().Microseconds(),
			InterimStatus:   optInt(r.InterimStatus, r.InterimStatus != 0),
			RequestGapBytes: r.RequestGapBytes, ResponseGapBytes: r.ResponseGapBytes,
			Upgraded: r.Upgraded, RequestBodyTruncated: r.RequestBodyTruncated, ResponseBodyTruncated: r.ResponseBodyTruncated,
			Anomalies:      r.Anomalies,
			RequestHeaders: r.RequestHeaders, ResponseHeaders: r.ResponseHeaders,
		}
		if r.TTFB != nil {
			us := r.TTFB.Microseconds()
			j.TTFBUs = &us
		}
		if r.Upgraded {
			j.RequestTunnelBytes, j.ResponseTunnelBytes = &r.RequestTunnelBytes, &r.ResponseTunnelBytes
		}
		if j.Anomalies == nil {
			j.Anomalies = []string{} // always an array, so consumers need no null check
		}
		b, err := json.Marshal(&j)
		if err != nil {
			panic("BUG: marshal log record: " + err.Error())
		}
		return append(dst, b...)
	}}
	return out
}
