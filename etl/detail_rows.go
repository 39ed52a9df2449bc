package etl

import (
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"strings"

	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/schema"
)

// Anomaly added to an exchange whose body decoded beyond the limits of
// body_decode.go (a decompression bomb, or just a very compressible body).
const anomalyDecompressionLimit = "decompression_limit"

// detailRows are the rows of the detail tables for one exchange (its
// header lines as one block: headerBlock).
type detailRows struct {
	headers   []headerBlock
	bodies    []schema.HTTPBody
	params    []schema.HTTPParam
	anomalies []string // to add to the exchange's own anomalies
}

// exchangeDetail builds the http_header, http_body and http_param rows of
// ex. The rows do not share memory with ex except for body bytes that were
// stored as captured (ex's buffers are owned by the sink once delivered).
func exchangeDetail(ex *http1.Exchange) detailRows {
	var d detailRows
	id := exchangeID(ex.ConnID, ex.Depth)
	at := exchangeTime(ex)
	base := detailBase{id: id, conn: int64(ex.ConnID), date: dateKey(at), ts: micros(at)}
	var reqMsg, respMsg *http1.Message
	if ex.Request != nil {
		reqMsg = &ex.Request.Message
	}
	if ex.Response != nil {
		respMsg = &ex.Response.Message
	}
	if hb, ok := newHeaderBlock(base, reqMsg, respMsg); ok {
		d.headers = []headerBlock{hb}
	}
	var reqBody *decodedBody
	if q := ex.Request; q != nil {
		if row, dec, ok := bodyRow(base, "request", &q.Message); ok {
			d.bodies = append(d.bodies, row)
			reqBody = &dec
			if dec.Err == decodeErrLimit {
				d.anomalies = append(d.anomalies, anomalyDecompressionLimit)
			}
		}
		ct, _ := q.Get("Content-Type")
		var body []byte
		complete := false
		if reqBody != nil && reqBody.Err == "" {
			body = reqBody.Stored
			complete = !reqBody.Truncated && messageWhole(&q.Message)
		}
		ps := extractParams(q.Target, ct, body, complete)
		if len(ps) > 0 {
			d.params = make([]schema.HTTPParam, 0, len(ps))
		}
		for i, p := range ps {
			d.params = append(d.params, paramRow(base, i, p))
		}
		// Ordinals count within each source.
		renumberParams(d.params)
	}
	if p := ex.Response; p != nil {
		if row, dec, ok := bodyRow(base, "response", &p.Message); ok {
			d.bodies = append(d.bodies, row)
			if dec.Err == decodeErrLimit && len(d.anomalies) == 0 {
				d.anomalies = append(d.anomalies, anomalyDecompressionLimit)
			}
		}
	}
	return d
}

type detailBase struct {
	id, conn int64
	date     int32
	ts       int64
}

// commonLower holds the lower-case form of header names as they are
// usually sent, so that the name_lower of most header rows costs a map
// lookup instead of an allocation.
var commonLower = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language", "Accept-Ranges",
		"Connection", "Content-Type", "Content-Length", "Content-Encoding", "Content-Language", "Content-Disposition",
		"Transfer-Encoding", "Cookie", "Set-Cookie", "Referer", "Origin", "Authorization", "Cache-Control", "Pragma",
		"Expires", "Date", "Server", "Location", "Last-Modified", "ETag", "If-None-Match", "If-Modified-Since", "Vary",
		"Keep-Alive", "Upgrade", "Upgrade-Insecure-Requests", "X-Forwarded-For", "X-Forwarded-Proto", "X-Real-IP",
		"X-Request-Id", "X-Requested-With", "X-Frame-Options", "X-Content-Type-Options", "X-XSS-Protection",
		"Strict-Transport-Security", "Content-Security-Policy", "Access-Control-Allow-Origin", "DNT", "TE", "Range",
		"Content-Range", "Age", "Via", "Link", "Allow", "WWW-Authenticate", "Proxy-Authorization", "Expect",
		"Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User", "Sec-CH-UA", "Sec-CH-UA-Mobile",
		"Sec-CH-UA-Platform", "Priority", "Alt-Svc", "Server-Timing", "Timing-Allow-Origin", "Referrer-Policy"} {
		m[n] = strings.ToLower(n)
	}
	return m
}()

// lowerName is strings.ToLower(name), without allocating for the usual
// spellings of common header names.
func lowerName(name string) string {
	if l, ok := commonLower[name]; ok {
		return l
	}
	return strings.ToLower(name)
}

// messageWhole reports whether every byte of m's body was seen and kept.
func messageWhole(m *http1.Message) bool {
	return m.Complete && !m.BodyTruncated && m.GapBytes == 0 && int64(len(m.Body)) == m.BodyBytes
}

// bodyRow builds the http_body row of a message whose body was captured
// (at least one byte kept); ok is false for a message without one.
func bodyRow(b detailBase, dir string, m *http1.Message) (schema.HTTPBody, decodedBody, bool) {
	if len(m.Body) == 0 {
		return schema.HTTPBody{}, decodedBody{}, false
	}
	whole := messageWhole(m)
	r := schema.HTTPBody{ExchangeID: b.id, ConnectionID: b.conn, DateKey: b.date, Direction: dir, RequestTS: b.ts,
		WireBytes: m.BodyWireBytes, BodyBytes: m.BodyBytes, CapturedBytes: int64(len(m.Body))}
	if ct, ok := m.Get("Content-Type"); ok {
		r.ContentType = mediaType(ct)
	}
	ce, hasCE := allValues(m, "Content-Encoding")
	if hasCE {
		r.ContentEncoding, _ = text(ce)
	}
	if te, ok := allValues(m, "Transfer-Encoding"); ok {
		r.TransferChunked = strings.Contains(strings.ToLower(te), "chunked")
	}
	dec := decodeContent(ce, m.Body, whole)
	r.Body = dec.Stored
	r.Truncated = !whole || dec.Truncated
	if dec.Err != "" {
		r.DecodeError = dec.Err
	}
	switch {
	case len(contentCodings(ce)) == 0:
		n := m.BodyBytes // identity: the decoded length is the body length, captured or not
		r.DecodedBytes = &n
	case dec.Known:
		n := dec.Decoded
		r.DecodedBytes = &n
	}
	r.SHA256Decoded = sha256Hex(r.Body)
	if whole {
		r.SHA256 = r.SHA256Decoded
		if !sameBytes(r.Body, m.Body) { // content-decoded: hash the body as sent
			r.SHA256 = sha256Hex(m.Body)
		}
	}
	return r, dec, true
}

// sha256Hex is the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sameBytes reports whether a and b are the same bytes in memory (an
// identity body is stored as captured, so its two hashes are one).
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// mediaType is the lower-case type/subtype of a Content-Type value.
func mediaType(ct string) string {
	if media, _, err := mime.ParseMediaType(ct); err == nil {
		return media
	}
	media, _, _ := strings.Cut(ct, ";")
	s, _ := text(strings.ToLower(strings.TrimSpace(media)))
	return s
}

func paramRow(b detailBase, i int, p param) schema.HTTPParam {
	r := schema.HTTPParam{ExchangeID: b.id, ConnectionID: b.conn, DateKey: b.date, Source: p.Source,
		Ordinal: int32(i), HasValue: p.HasValue, ValueTruncated: p.ValueTruncated, RequestTS: b.ts}
	r.Name, r.NameRaw = text(p.Name)
	if p.HasValue {
		r.Value, r.ValueRaw = text(p.Value)
	}
	if p.IsPart {
		r.Filename, _ = text(p.Filename)
		r.PartContentType, _ = text(p.PartContentType)
		n := p.PartSize
		r.PartSize = &n
	}
	return r
}

// renumberParams makes ordinals 0-based within each source (rows of one
// source are contiguous).
func renumberParams(rows []schema.HTTPParam) {
	n := int32(0)
	for i := range rows {
		if i > 0 && rows[i].Source != rows[i-1].Source {
			n = 0
		}
		rows[i].Ordinal = n
		n++
	}
}
