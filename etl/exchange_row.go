package etl

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/schema"
)

// exchangeID hashes (connection id, trans_depth).
func exchangeID(conn uint64, depth int) int64 {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], conn)
	binary.LittleEndian.PutUint64(b[8:], uint64(depth))
	return int64(xxhash.Sum64(b[:]))
}

// micros converts a capture time to Parquet TIMESTAMP micros; the zero time
// becomes 0, which optional columns write as null.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// exchangeTime is the instant an exchange is partitioned and keyed by: the
// first byte of its request, or of its response when no request was seen.
func exchangeTime(ex *http1.Exchange) time.Time {
	if ex.Request != nil {
		return ex.Request.FirstByte.UTC()
	}
	if ex.Response != nil {
		return ex.Response.FirstByte.UTC()
	}
	return time.Time{}
}

// allValues joins every occurrence of a header with ", " (RFC 9110 5.3).
func allValues(m *http1.Message, name string) (string, bool) {
	var vals []string
	for _, h := range m.Headers[:len(m.Headers)-m.Trailers] {
		if strings.EqualFold(h.Name, name) {
			vals = append(vals, h.Value)
		}
	}
	return strings.Join(vals, ", "), len(vals) > 0
}

// exchangeRow builds the fact row of ex and records the dimension members
// it references in dims.
func exchangeRow(ex *http1.Exchange, sourceKey int64, dims *dimSet) schema.FactHTTPExchange {
	at := exchangeTime(ex)
	r := schema.FactHTTPExchange{
		ExchangeID:    exchangeID(ex.ConnID, ex.Depth),
		ConnectionID:  int64(ex.ConnID),
		DateKey:       dateKey(at),
		TimeKey:       timeKey(at),
		SourceFileKey: sourceKey,
		ClientIP:      ex.Client.Addr().Unmap().String(),
		ClientPort:    int32(ex.Client.Port()),
		ServerIP:      ex.Server.Addr().Unmap().String(),
		ServerPort:    int32(ex.Server.Port()),
		TransDepth:    int32(ex.Depth),
		Pipelined:     ex.Pipelined,
		Upgraded:      ex.Upgraded,
		Anomalies:     ex.Anomalies,
	}
	if ex.Upgraded {
		up, down := ex.TunnelBytes[0], ex.TunnelBytes[1]
		r.RequestTunnelBytes, r.ResponseTunnelBytes = &up, &down
	}
	dims.date(at)
	r.ClientKey = dims.endpoint(ex.Client.Addr())
	r.ServerKey = dims.endpoint(ex.Server.Addr())

	var host, ua, ref, ct string
	var hasHost, hasUA, hasRef, hasCT bool
	if q := ex.Request; q != nil {
		r.Method, _ = text(q.Method)
		r.RequestVersion, _ = text(q.Version)
		r.RequestLine, r.RequestLineRaw = text(q.Line)
		r.URI, _ = text(q.Target)
		if _, query, ok := strings.Cut(q.Target, "?"); ok {
			r.Query, _ = text(query)
		}
		host, hasHost = q.Get("Host")
		ua, hasUA = q.Get("User-Agent")
		ref, hasRef = q.Get("Referer")
		r.Host, _ = text(host)
		r.XForwardedFor, _ = allValues(&q.Message, "X-Forwarded-For")
		r.XForwardedFor, _ = text(r.XForwardedFor)
		if user, ok := http1.BasicAuthUser(q); ok {
			r.AuthUser, _ = text(user)
		}
		r.RequestTS, r.RequestEndTS = micros(q.FirstByte), micros(q.LastByte)
		r.RequestHeaderBytes, r.RequestBodyWireBytes, r.RequestBodyBytes = q.HeaderBytes, q.BodyWireBytes, q.BodyBytes
		r.RequestGapBytes, r.RequestComplete, r.RequestBodyTruncated = q.GapBytes, q.Complete, q.BodyTruncated
		r.URLKey = dims.url(q.Target, true)
	} else {
		r.RequestMissing = true
	}
	if p := ex.Response; p != nil {
		r.StatusCode = int32(p.Status)
		r.Reason, _ = text(p.Reason)
		r.ResponseVersion, _ = text(p.Version)
		r.InterimStatus = int32(p.Interim)
		ct, hasCT = p.Get("Content-Type")
		r.ResponseTS, r.ResponseEndTS = micros(p.FirstByte), micros(p.LastByte)
		r.ResponseHeaderBytes, r.ResponseBodyWireBytes, r.ResponseBodyBytes = p.HeaderBytes, p.BodyWireBytes, p.BodyBytes
		r.ResponseGapBytes, r.ResponseComplete, r.ResponseBodyTruncated = p.GapBytes, p.Complete, p.BodyTruncated
		r.ResponseInterimBytes = p.InterimBytes
		if q := ex.Request; q != nil && !q.LastByte.IsZero() && !p.FirstByte.IsZero() {
			ttfb := p.FirstByte.Sub(q.LastByte).Microseconds()
			r.TTFBMicros = &ttfb
		}
		if q := ex.Request; q != nil && !p.LastByte.IsZero() && p.Complete {
			d := p.LastByte.Sub(q.FirstByte).Microseconds()
			r.DurationUs = &d
		}
	} else {
		r.ResponseMissing = true
	}
	r.VhostKey = dims.vhost(host, hasHost)
	r.UserAgentKey = dims.userAgent(ua, hasUA)
	r.ReferrerKey = dims.referrer(ref, hasRef)
	r.ContentTypeKey = dims.contentType(ct, hasCT)
	return r
}
