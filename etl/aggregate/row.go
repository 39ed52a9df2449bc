package aggregate

import "time"

// Row is the row of the agg_http_minute, agg_http_hour and agg_http_day
// tables: the measures of one group in one time bucket.
//
// Every dimension has a column; a dimension the rollup was not grouped by
// is null on every row (the `dims` column names those grouped by, so a null
// in a grouped dimension is a missing value: no Host header, no
// Referer...). status and status_class are "-" when no response was seen.
// The *_sketch and clients_hll columns make the row mergeable: see the
// README section "Re-aggregating".
type Row struct {
	BucketStart int64  `parquet:"bucket_start,timestamp(microsecond:utc)" doc:"start of the time bucket (the exchange's request_ts truncated to the grain)"`
	Grain       string `parquet:"grain,dict" doc:"minute, hour or day"`
	By          string `parquet:"dims,dict" doc:"dimensions grouped by, comma-separated in canonical order ('' = totals)"`
	Filter      string `parquet:"filters,dict" doc:"--where conditions applied, canonical, joined with ' AND ' ('' = none)"`

	Vhost           string `parquet:"vhost,optional,dict" doc:"dim_vhost.vhost"`
	Path            string `parquet:"path,optional" doc:"dim_url.path"`
	Status          string `parquet:"status,optional,dict" doc:"final status code as text; '-' = no response"`
	StatusClass     string `parquet:"status_class,optional,dict" doc:"1xx ... 5xx, other; '-' = no response"`
	Method          string `parquet:"method,optional,dict" doc:"request method"`
	Client          string `parquet:"client,optional,dict" doc:"client_ip"`
	Server          string `parquet:"server,optional,dict" doc:"server_ip"`
	UserAgentFamily string `parquet:"user_agent_family,optional,dict" doc:"User-Agent family (spanlake's classifier)"`
	OS              string `parquet:"os,optional,dict" doc:"operating system from the User-Agent"`
	Device          string `parquet:"device,optional,dict" doc:"desktop, mobile, tablet, bot, other"`
	IsBot           string `parquet:"is_bot,optional,dict" doc:"true or false"`
	ContentType     string `parquet:"content_type,optional,dict" doc:"dim_content_type.media_type"`
	ReferrerHost    string `parquet:"referrer_host,optional,dict" doc:"dim_referrer.host"`

	Requests          int64 `parquet:"requests" doc:"exchanges (fact rows)"`
	RequestWireBytes  int64 `parquet:"request_wire_bytes" doc:"sum of request_header_bytes + request_body_wire_bytes"`
	RequestBodyBytes  int64 `parquet:"request_body_bytes" doc:"sum of request_body_bytes"`
	ResponseWireBytes int64 `parquet:"response_wire_bytes" doc:"sum of response_interim_bytes + response_header_bytes + response_body_wire_bytes"`
	ResponseBodyBytes int64 `parquet:"response_body_bytes" doc:"sum of response_body_bytes"`
	Status4xx         int64 `parquet:"status_4xx" doc:"exchanges with final status 400-499"`
	Status5xx         int64 `parquet:"status_5xx" doc:"exchanges with final status 500-599"`
	ResponseMissing   int64 `parquet:"response_missing" doc:"requests with no response in the capture"`
	RequestMissing    int64 `parquet:"request_missing" doc:"responses with no request in the capture"`
	GapExchanges      int64 `parquet:"gap_exchanges" doc:"exchanges with bytes lost to capture gaps"`
	GapBytes          int64 `parquet:"gap_bytes" doc:"sum of request_gap_bytes + response_gap_bytes"`
	AnomalyExchanges  int64 `parquet:"anomaly_exchanges" doc:"exchanges with at least one anomaly code"`
	Anomalies         int64 `parquet:"anomalies" doc:"anomaly codes, summed over exchanges"`
	DistinctClients   int64 `parquet:"distinct_clients" doc:"distinct client_ip, HyperLogLog estimate (exact in practice below a few thousand)"`

	TTFBCount int64    `parquet:"ttfb_count" doc:"exchanges with a ttfb_us"`
	TTFBSumUs int64    `parquet:"ttfb_sum_us" doc:"sum of ttfb_us (mean = ttfb_sum_us / ttfb_count)"`
	TTFBP50   *float64 `parquet:"ttfb_p50_us,optional" doc:"median ttfb_us (DDSketch, 1% relative accuracy)"`
	TTFBP90   *float64 `parquet:"ttfb_p90_us,optional" doc:"90th percentile of ttfb_us"`
	TTFBP95   *float64 `parquet:"ttfb_p95_us,optional" doc:"95th percentile of ttfb_us"`
	TTFBP99   *float64 `parquet:"ttfb_p99_us,optional" doc:"99th percentile of ttfb_us"`
	TTFBMax   *int64   `parquet:"ttfb_max_us,optional" doc:"maximum ttfb_us (exact)"`

	DurationCount int64    `parquet:"duration_count" doc:"exchanges with a duration_us"`
	DurationSumUs int64    `parquet:"duration_sum_us" doc:"sum of duration_us"`
	DurationP50   *float64 `parquet:"duration_p50_us,optional" doc:"median duration_us (DDSketch, 1% relative accuracy)"`
	DurationP90   *float64 `parquet:"duration_p90_us,optional" doc:"90th percentile of duration_us"`
	DurationP95   *float64 `parquet:"duration_p95_us,optional" doc:"95th percentile of duration_us"`
	DurationP99   *float64 `parquet:"duration_p99_us,optional" doc:"99th percentile of duration_us"`
	DurationMax   *int64   `parquet:"duration_max_us,optional" doc:"maximum duration_us (exact)"`

	TTFBSketch     []byte `parquet:"ttfb_sketch,optional" doc:"DDSketch of ttfb_us (sketches-go binary encoding, index mapping included)"`
	DurationSketch []byte `parquet:"duration_sketch,optional" doc:"DDSketch of duration_us"`
	ClientsHLL     []byte `parquet:"clients_hll,optional" doc:"HyperLogLog (axiomhq, precision 14) of client_ip xxhash64 values"`
}

// dimFields returns pointers to the row's dimension columns, indexed by Dim.
func (r *Row) dimFields() [numDims]*string {
	return [numDims]*string{
		DimVhost: &r.Vhost, DimPath: &r.Path, DimStatus: &r.Status, DimStatusClass: &r.StatusClass,
		DimMethod: &r.Method, DimClient: &r.Client, DimServer: &r.Server,
		DimUserAgentFamily: &r.UserAgentFamily, DimOS: &r.OS, DimDevice: &r.Device, DimIsBot: &r.IsBot,
		DimContentType: &r.ContentType, DimReferrerHost: &r.ReferrerHost,
	}
}

// rollupDimColumns are the Parquet column names of the dimensions.
var rollupDimColumns = dimNames

// Row converts a group to its table row.
func (r *Result) Row(g *Group) Row {
	row := Row{
		BucketStart: g.Bucket.UnixMicro(),
		Grain:       r.Query.Grain.String(),
		By:          setOf(r.Query.By).String(),
		Filter:      filterString(r.Where),

		Requests:          g.Requests,
		RequestWireBytes:  g.RequestWireBytes,
		RequestBodyBytes:  g.RequestBodyBytes,
		ResponseWireBytes: g.ResponseWireBytes,
		ResponseBodyBytes: g.ResponseBodyBytes,
		Status4xx:         g.Status4xx,
		Status5xx:         g.Status5xx,
		ResponseMissing:   g.ResponseMissing,
		RequestMissing:    g.RequestMissing,
		GapExchanges:      g.GapExchanges,
		GapBytes:          g.GapBytes,
		AnomalyExchanges:  g.AnomalyExchanges,
		Anomalies:         g.Anomalies,
		DistinctClients:   g.DistinctClients(),

		TTFBCount: g.TTFB.Count, TTFBSumUs: g.TTFB.SumUs,
		DurationCount: g.Duration.Count, DurationSumUs: g.Duration.SumUs,
		TTFBSketch: g.TTFB.encodeSketch(), DurationSketch: g.Duration.encodeSketch(),
		ClientsHLL: g.encodeClients(),
	}
	fields := row.dimFields()
	for d := Dim(0); d < numDims; d++ {
		if v, null := g.Value(d); !null {
			*fields[d] = v
		}
	}
	row.TTFBP50, row.TTFBP90, row.TTFBP95, row.TTFBP99, row.TTFBMax = quantileFields(&g.TTFB)
	row.DurationP50, row.DurationP90, row.DurationP95, row.DurationP99, row.DurationMax = quantileFields(&g.Duration)
	return row
}

func quantileFields(l *Latency) (p50, p90, p95, p99 *float64, maxUs *int64) {
	if l.Count == 0 {
		return
	}
	q := func(p float64) *float64 { v, _ := l.Quantile(p); return &v }
	m := l.MaxUs
	return q(0.5), q(0.9), q(0.95), q(0.99), &m
}

// Bucket returns the row's bucket start.
func (r *Row) Bucket() time.Time { return time.UnixMicro(r.BucketStart).UTC() }
