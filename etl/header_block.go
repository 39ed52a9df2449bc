package etl

import (
	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/schema"
)

// headerBlock is how the http_header rows of one exchange are buffered,
// spilled and merged: one record per exchange instead of one per header
// line. On keep-alive API traffic an exchange has ~20 header lines; as
// rows, each repeated the exchange's ids and time and went through the
// encoder, the arena, the sort, the spill runs and the merge on its own,
// which made http_header most of etl's work. The block is expanded into
// rows (expandHeaderBlock) only as the Parquet file is written, so the
// files are the same: the block sorts by the exchange's time and id like
// its rows did, and its lines keep their wire order.
//
// Names and values are kept as sent (values redacted by the privacy policy
// where it applies); the UTF-8 and lower-case forms of the row are derived
// when it is expanded.
type headerBlock struct {
	ExchangeID   int64
	ConnectionID int64
	DateKey      int32
	RequestTS    int64
	// Request is how many of the lines are the request's; the rest are
	// the response's. Each message's last *Trailers lines came in its
	// chunked trailer.
	Request      int32
	ReqTrailers  int32
	RespTrailers int32
	Names        []string
	Values       []string
}

// newHeaderBlock gathers the header lines of ex's messages (either may be
// nil), or returns false when there are none.
func newHeaderBlock(b detailBase, req, resp *http1.Message) (headerBlock, bool) {
	n := 0
	for _, m := range []*http1.Message{req, resp} {
		if m != nil {
			n += len(m.Headers)
		}
	}
	if n == 0 {
		return headerBlock{}, false
	}
	lines := make([]string, 2*n) // names, then values: one allocation
	hb := headerBlock{ExchangeID: b.id, ConnectionID: b.conn, DateKey: b.date, RequestTS: b.ts,
		Names: lines[:0:n], Values: lines[n:n]}
	for _, m := range []*http1.Message{req, resp} {
		if m == nil {
			continue
		}
		for _, h := range m.Headers {
			hb.Names = append(hb.Names, h.Name)
			hb.Values = append(hb.Values, h.Value)
		}
	}
	if req != nil {
		hb.Request, hb.ReqTrailers = int32(len(req.Headers)), int32(req.Trailers)
	}
	if resp != nil {
		hb.RespTrailers = int32(resp.Trailers)
	}
	return hb, true
}

// nameLower is the lower-case name of line i, as the row has it.
func (hb *headerBlock) nameLower(i int) string {
	name, _ := text(hb.Names[i])
	return lowerName(name)
}

// expandHeaderBlock appends the http_header rows of hb to rows.
func expandHeaderBlock(hb *headerBlock, rows []schema.HTTPHeader) []schema.HTTPHeader {
	req := int(hb.Request)
	for i := range hb.Names {
		dir, ordinal, count, trailers := "request", i, req, int(hb.ReqTrailers)
		if i >= req {
			dir, ordinal, count, trailers = "response", i-req, len(hb.Names)-req, int(hb.RespTrailers)
		}
		r := schema.HTTPHeader{ExchangeID: hb.ExchangeID, ConnectionID: hb.ConnectionID, DateKey: hb.DateKey,
			Direction: dir, Ordinal: int32(ordinal), IsTrailer: ordinal >= count-trailers, RequestTS: hb.RequestTS}
		r.Name, r.NameRaw = text(hb.Names[i])
		r.NameLower = lowerName(r.Name)
		r.Value, r.ValueRaw = text(hb.Values[i])
		rows = append(rows, r)
	}
	return rows
}
