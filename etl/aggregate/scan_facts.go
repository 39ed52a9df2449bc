package aggregate

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// keyDim maps a fact's surrogate key column to a dimension through a
// dimension table's attribute.
type keyDim struct {
	factKey  string // key column on the fact
	table    string // dimension table
	dimKey   string // key column on the dimension
	attr     string // attribute column on the dimension
	dims     []Dim  // dimensions derived from attr
	keyToIDs map[int64][]uint32
}

// keyDims lists the dimensions that come from joining a dimension table.
func keyDims() []*keyDim {
	return []*keyDim{
		{factKey: "vhost_key", table: "dim_vhost", dimKey: "vhost_key", attr: "vhost", dims: []Dim{DimVhost}},
		{factKey: "url_key", table: "dim_url", dimKey: "url_key", attr: "path", dims: []Dim{DimPath}},
		{factKey: "content_type_key", table: "dim_content_type", dimKey: "content_type_key", attr: "media_type", dims: []Dim{DimContentType}},
		{factKey: "referrer_key", table: "dim_referrer", dimKey: "referrer_key", attr: "host", dims: []Dim{DimReferrerHost}},
		{factKey: "user_agent_key", table: "dim_user_agent", dimKey: "user_agent_key", attr: "user_agent", dims: []Dim{DimUserAgentFamily, DimOS, DimDevice, DimIsBot}},
	}
}

// loadKeyDim reads the key and attribute columns of a dimension table and
// interns the derived values. Dimension rows repeat across files (one copy
// per capture); a row is a pure function of its key, so the first wins.
func (e *engine) loadKeyDim(ctx context.Context, kd *keyDim) error {
	files, err := tableFiles(filepath.Join(e.opts.Warehouse, kd.table), timeRange{from: minMicros, to: maxMicros})
	if err != nil {
		return err
	}
	kd.keyToIDs = map[int64][]uint32{}
	for _, path := range files {
		f, err := openParquet(path)
		if err != nil {
			return err
		}
		err = f.records(ctx, []string{kd.dimKey, kd.attr}, func(rec arrow.RecordBatch) error {
			keys := int64Column(rec, kd.dimKey)
			vals := stringColumn(rec, kd.attr)
			if keys == nil {
				return fmt.Errorf("cannot read %s: no %s column", path, kd.dimKey)
			}
			for i := 0; i < keys.Len(); i++ {
				k := keys.Value(i)
				if _, seen := kd.keyToIDs[k]; seen {
					continue
				}
				null := vals == nil || vals.IsNull(i)
				v := ""
				if !null {
					v = vals.Value(i)
				}
				kd.keyToIDs[k] = e.deriveIDs(kd, v, null)
			}
			return nil
		})
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *engine) deriveIDs(kd *keyDim, v string, null bool) []uint32 {
	if kd.dims[0] != DimUserAgentFamily {
		if null {
			return []uint32{0}
		}
		return []uint32{e.dicts[kd.dims[0]].id(v)}
	}
	c := ClassifyUserAgent(v)
	return []uint32{
		e.dicts[DimUserAgentFamily].id(c.Family),
		e.dicts[DimOS].id(c.OS),
		e.dicts[DimDevice].id(c.Device),
		e.dicts[DimIsBot].id(strconv.FormatBool(c.IsBot)),
	}
}

// factMeasureColumns are the fact columns every aggregation reads.
var factMeasureColumns = []string{
	"request_ts", "response_ts", "status_code", "client_ip",
	"request_header_bytes", "request_body_wire_bytes", "request_body_bytes",
	"response_header_bytes", "response_body_wire_bytes", "response_body_bytes", "response_interim_bytes",
	"request_gap_bytes", "response_gap_bytes", "request_missing", "response_missing",
	"anomalies", "ttfb_us", "duration_us",
}

// scanFacts aggregates fact_http_exchange.
func (e *engine) scanFacts(ctx context.Context, dir string) error {
	cols := append([]string(nil), factMeasureColumns...)
	var kds []*keyDim
	for _, kd := range keyDims() {
		if e.needed&setOf(kd.dims) != 0 {
			if err := e.loadKeyDim(ctx, kd); err != nil {
				return err
			}
			kds = append(kds, kd)
			cols = append(cols, kd.factKey)
		}
	}
	if e.needed.has(DimMethod) {
		cols = append(cols, "method")
	}
	if e.needed.has(DimServer) {
		cols = append(cols, "server_ip")
	}
	files, err := tableFiles(dir, e.tr)
	if err != nil {
		return err
	}
	var unknownKeys int64
	var fb factBatch
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := openParquet(path)
		if err != nil {
			return err
		}
		e.opts.Logger.Debug("aggregating", "file", path, "rows", f.pf.NumRows())
		err = f.records(ctx, cols, func(rec arrow.RecordBatch) error {
			fb.load(rec)
			n := int(rec.NumRows())
			e.prepare(n)
			for i := 0; i < n; i++ {
				e.keep[i] = fb.tsValid[i] && e.tr.contains(fb.ts[i])
				if e.keep[i] {
					e.rowsRead++
				}
			}
			for _, kd := range kds {
				keys := int64Column(rec, kd.factKey)
				for i := 0; i < n; i++ {
					ids, ok := kd.keyToIDs[i64(keys, i)]
					if !ok {
						unknownKeys++
						ids = kd.keyToIDs[0] // nil when even key 0 is absent: null values
					}
					for j, d := range kd.dims {
						if e.needed.has(d) {
							var id uint32
							if j < len(ids) {
								id = ids[j]
							}
							e.ids[d][i] = id
						}
					}
				}
			}
			e.stringIDs(DimClient, fb.client, n)
			if e.needed.has(DimMethod) {
				e.stringIDs(DimMethod, stringColumn(rec, "method"), n)
			}
			if e.needed.has(DimServer) {
				e.stringIDs(DimServer, stringColumn(rec, "server_ip"), n)
			}
			if e.needed&setOf([]Dim{DimStatus, DimStatusClass}) != 0 {
				e.statusIDs(fb.status, n)
			}
			e.applyFilters(n)
			for i := 0; i < n; i++ {
				if !e.keep[i] {
					continue
				}
				for _, s := range e.sets {
					fb.addTo(e.group(s, fb.ts[i], i), i)
				}
			}
			return nil
		})
		f.Close()
		if err != nil {
			return err
		}
	}
	if unknownKeys > 0 {
		e.opts.Logger.Warn("fact rows with a dimension key missing from its dimension table (grouped as null)", "rows", unknownKeys)
	}
	return nil
}

// stringIDs interns a string column into e.ids[d] (when d is needed).
func (e *engine) stringIDs(d Dim, a *array.String, n int) {
	if !e.needed.has(d) {
		return
	}
	ids, dc := e.ids[d], e.dicts[d]
	for i := 0; i < n; i++ {
		if a == nil || a.IsNull(i) {
			ids[i] = 0
			continue
		}
		ids[i] = dc.id(a.Value(i))
	}
}

// statusIDs fills the status and status_class ids: the code as text and
// "Nxx", "-" for both when no response was seen.
func (e *engine) statusIDs(a *array.Int32, n int) {
	for i := 0; i < n; i++ {
		st, cl := e.statusDash, e.classDash
		if a != nil && a.IsValid(i) {
			code := a.Value(i)
			st = e.dicts[DimStatus].id(strconv.Itoa(int(code)))
			cl = e.dicts[DimStatusClass].id(statusClass(code))
		}
		if e.needed.has(DimStatus) {
			e.ids[DimStatus][i] = st
		}
		if e.needed.has(DimStatusClass) {
			e.ids[DimStatusClass][i] = cl
		}
	}
}

// statusClass is "2xx" for 200-299 and so on; codes outside 100-599 are
// "other".
func statusClass(code int32) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return string([]byte{byte('0' + code/100), 'x', 'x'})
}

// factBatch holds the measure columns of one fact record batch.
type factBatch struct {
	ts                                                            []int64
	tsValid                                                       []bool
	status                                                        *array.Int32
	client                                                        *array.String
	reqHdr, reqBodyWire, reqBody                                  *array.Int64
	respHdr, respBodyWire, respBody, respInterim, reqGap, respGap *array.Int64
	reqMissing, respMissing                                       *array.Boolean
	anomalies                                                     *array.List
	ttfb, duration                                                *array.Int64
}

func (b *factBatch) load(rec arrow.RecordBatch) {
	n := int(rec.NumRows())
	b.ts = make([]int64, n)[:n:n]
	b.tsValid = make([]bool, n)
	req, resp := timestampColumn(rec, "request_ts"), timestampColumn(rec, "response_ts")
	for i := 0; i < n; i++ {
		switch {
		case req != nil && req.IsValid(i):
			b.ts[i], b.tsValid[i] = int64(req.Value(i)), true
		case resp != nil && resp.IsValid(i):
			b.ts[i], b.tsValid[i] = int64(resp.Value(i)), true
		}
	}
	b.status = int32Column(rec, "status_code")
	b.client = stringColumn(rec, "client_ip")
	b.reqHdr = int64Column(rec, "request_header_bytes")
	b.reqBodyWire = int64Column(rec, "request_body_wire_bytes")
	b.reqBody = int64Column(rec, "request_body_bytes")
	b.respHdr = int64Column(rec, "response_header_bytes")
	b.respBodyWire = int64Column(rec, "response_body_wire_bytes")
	b.respInterim = int64Column(rec, "response_interim_bytes") // nil in warehouses written before the column existed
	b.respBody = int64Column(rec, "response_body_bytes")
	b.reqGap = int64Column(rec, "request_gap_bytes")
	b.respGap = int64Column(rec, "response_gap_bytes")
	b.reqMissing = boolColumn(rec, "request_missing")
	b.respMissing = boolColumn(rec, "response_missing")
	b.anomalies, _ = column(rec, "anomalies").(*array.List)
	b.ttfb = int64Column(rec, "ttfb_us")
	b.duration = int64Column(rec, "duration_us")
}

// addTo adds fact row i to m.
func (b *factBatch) addTo(m *Measures, i int) {
	m.Requests++
	m.RequestWireBytes += i64(b.reqHdr, i) + i64(b.reqBodyWire, i)
	m.RequestBodyBytes += i64(b.reqBody, i)
	m.ResponseWireBytes += i64(b.respInterim, i) + i64(b.respHdr, i) + i64(b.respBodyWire, i)
	m.ResponseBodyBytes += i64(b.respBody, i)
	if b.status != nil && b.status.IsValid(i) {
		switch code := b.status.Value(i); {
		case code >= 400 && code < 500:
			m.Status4xx++
		case code >= 500 && code < 600:
			m.Status5xx++
		}
	}
	if isTrue(b.respMissing, i) {
		m.ResponseMissing++
	}
	if isTrue(b.reqMissing, i) {
		m.RequestMissing++
	}
	if gap := i64(b.reqGap, i) + i64(b.respGap, i); gap > 0 {
		m.GapExchanges++
		m.GapBytes += gap
	}
	if b.anomalies != nil && b.anomalies.IsValid(i) {
		start, end := b.anomalies.ValueOffsets(i)
		if end > start {
			m.AnomalyExchanges++
			m.Anomalies += end - start
		}
	}
	if b.ttfb != nil && b.ttfb.IsValid(i) {
		m.TTFB.add(b.ttfb.Value(i))
	}
	if b.duration != nil && b.duration.IsValid(i) {
		m.Duration.add(b.duration.Value(i))
	}
	if b.client != nil && b.client.IsValid(i) {
		m.addClient(b.client.Value(i))
	}
}
