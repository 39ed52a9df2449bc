package aggregate

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spanlake/spanlake/etl/atomicfile"
	"github.com/spanlake/spanlake/schema"
)

var fxStart = time.Date(2026, 11, 24, 22, 30, 0, 0, time.UTC)

// expected is a naive aggregation of the fixture's facts: exact counts,
// sums, distinct clients and raw latencies.
type expected struct {
	m        Measures
	clients  map[string]bool
	ttfb     []float64
	duration []float64
}

type expKey struct {
	bucket int64
	vals   string
}

func naive(fx *fixture, g Grain, by []Dim, where []Filter, tr timeRange) map[expKey]*expected {
	out := map[expKey]*expected{}
	for i := range fx.facts {
		f := &fx.facts[i]
		ts := f.RequestTS
		if ts == 0 {
			ts = f.ResponseTS
		}
		if !tr.contains(ts) {
			continue
		}
		ok := true
		for _, w := range where {
			v, null := fx.value(f, w.Dim)
			ok = ok && w.match(v, null)
		}
		if !ok {
			continue
		}
		var vals []string
		for _, d := range by {
			v, null := fx.value(f, d)
			if null {
				v = "<null>"
			}
			vals = append(vals, v)
		}
		allStart := tr.from
		if allStart == minMicros {
			allStart = 0
		}
		k := expKey{g.bucket(ts, allStart), strings.Join(vals, "|")}
		e := out[k]
		if e == nil {
			e = &expected{clients: map[string]bool{}}
			out[k] = e
		}
		e.m.Requests++
		e.m.RequestWireBytes += f.RequestHeaderBytes + f.RequestBodyWireBytes
		e.m.RequestBodyBytes += f.RequestBodyBytes
		e.m.ResponseWireBytes += f.ResponseInterimBytes + f.ResponseHeaderBytes + f.ResponseBodyWireBytes
		e.m.ResponseBodyBytes += f.ResponseBodyBytes
		if f.StatusCode/100 == 4 {
			e.m.Status4xx++
		}
		if f.StatusCode/100 == 5 {
			e.m.Status5xx++
		}
		if f.ResponseMissing {
			e.m.ResponseMissing++
		}
		if f.RequestMissing {
			e.m.RequestMissing++
		}
		if gap := f.RequestGapBytes + f.ResponseGapBytes; gap > 0 {
			e.m.GapExchanges++
			e.m.GapBytes += gap
		}
		if len(f.Anomalies) > 0 {
			e.m.AnomalyExchanges++
			e.m.Anomalies += int64(len(f.Anomalies))
		}
		e.clients[f.ClientIP] = true
		if f.TTFBMicros != nil {
			e.ttfb = append(e.ttfb, float64(*f.TTFBMicros))
		}
		if f.DurationUs != nil {
			e.duration = append(e.duration, float64(*f.DurationUs))
		}
	}
	return out
}

// quantileCont is DuckDB's quantile_cont: linear interpolation between
// the ranks floor and ceil of q*(n-1).
func quantileCont(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	r := q * float64(len(s)-1)
	lo := math.Floor(r)
	v := s[int(lo)]
	if r > lo {
		v += (r - lo) * (s[int(lo)+1] - v)
	}
	return v
}

// withinAccuracy: the sketch's guarantee, |got - want| <= α·|want|, plus
// float slack.
func withinAccuracy(got, want float64) bool {
	return math.Abs(got-want) <= RelativeAccuracy*math.Abs(want)+1e-9
}

func groupKeyOf(r *Result, g *Group) expKey {
	var vals []string
	for _, d := range setOf(r.Query.By).dims() {
		v, null := g.Value(d)
		if null {
			v = "<null>"
		}
		vals = append(vals, v)
	}
	return expKey{g.Bucket.UnixMicro(), strings.Join(vals, "|")}
}

func checkAgainstNaive(t *testing.T, fx *fixture, r *Result, tr timeRange) {
	t.Helper()
	want := naive(fx, r.Query.Grain, setOf(r.Query.By).dims(), r.Where, tr)
	if len(r.Groups) != len(want) {
		t.Fatalf("%d groups, want %d", len(r.Groups), len(want))
	}
	for i := range r.Groups {
		g := &r.Groups[i]
		k := groupKeyOf(r, g)
		e := want[k]
		if e == nil {
			t.Fatalf("unexpected group %v", k)
		}
		got := g.Measures
		got.TTFB, got.Duration, got.clients = Latency{}, Latency{}, nil
		if got != e.m {
			t.Errorf("group %v: measures\n got %+v\nwant %+v", k, got, e.m)
		}
		if n := g.DistinctClients(); n != int64(len(e.clients)) {
			t.Errorf("group %v: %d distinct clients, want %d", k, n, len(e.clients))
		}
		for _, l := range []struct {
			name string
			got  *Latency
			raw  []float64
		}{{"ttfb", &g.TTFB, e.ttfb}, {"duration", &g.Duration, e.duration}} {
			if l.got.Count != int64(len(l.raw)) {
				t.Errorf("group %v: %s count %d, want %d", k, l.name, l.got.Count, len(l.raw))
				continue
			}
			if len(l.raw) == 0 {
				continue
			}
			if want := slices.Max(l.raw); float64(l.got.MaxUs) != want {
				t.Errorf("group %v: %s max %d, want %v", k, l.name, l.got.MaxUs, want)
			}
			for _, q := range Quantiles {
				v, _ := l.got.Quantile(q)
				if w := quantileCont(l.raw, q); !withinAccuracy(v, w) {
					t.Errorf("group %v: %s p%v = %v, exact %v (more than %v%% off)", k, l.name, q*100, v, w, RelativeAccuracy*100)
				}
			}
		}
	}
}

func run1(t *testing.T, opts Options, q Query) *Result {
	t.Helper()
	res, err := Aggregate(context.Background(), opts, q)
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

func TestAggregateEqualsNaiveGroupBy(t *testing.T) {
	fx := newFixture(t, 5000, 1, fxStart, 3*time.Hour)
	all := timeRange{minMicros, maxMicros}
	for _, tc := range []struct {
		grain Grain
		by    string
		where []string
	}{
		{GrainHour, "", nil},
		{GrainMinute, "vhost,status", nil},
		{GrainHour, "path,method", nil},
		{GrainDay, "status_class,client", nil},
		{GrainHour, "user_agent_family,os,device,is_bot", nil},
		{GrainHour, "content_type,referrer_host,server", nil},
		{GrainAll, "vhost", []string{"status>=500"}},
		{GrainHour, "path", []string{"vhost=example.com", "method!=GET"}},
		{GrainHour, "status", []string{"vhost=-"}},
		{GrainHour, "is_bot", []string{"status=-"}},
		{GrainMinute, "vhost,path,status,status_class,method,client,server,user_agent_family,os,device,is_bot,content_type,referrer_host", nil},
	} {
		t.Run(tc.grain.String()+"/"+tc.by+"/"+strings.Join(tc.where, "&"), func(t *testing.T) {
			by, err := ParseDims(tc.by)
			if err != nil {
				t.Fatal(err)
			}
			var where []Filter
			for _, w := range tc.where {
				f, err := ParseFilter(w)
				if err != nil {
					t.Fatal(err)
				}
				where = append(where, f)
			}
			r := run1(t, Options{Warehouse: fx.dir, Where: where}, Query{Grain: tc.grain, By: by})
			if r.RowsRead != int64(len(fx.facts)) {
				t.Errorf("read %d rows, want %d", r.RowsRead, len(fx.facts))
			}
			checkAgainstNaive(t, fx, r, all)
		})
	}
}

func TestTimeRangePrunesPartitions(t *testing.T) {
	fx := newFixture(t, 3000, 2, fxStart, 4*time.Hour) // crosses midnight
	from, to := fxStart.Add(50*time.Minute), fxStart.Add(2*time.Hour+7*time.Minute)
	tr := newTimeRange(from, to)
	r := run1(t, Options{Warehouse: fx.dir, From: from, To: to}, Query{Grain: GrainMinute, By: []Dim{DimStatus}})
	var inRange int64
	for _, f := range fx.facts {
		ts := cmpOrInt(f.RequestTS, f.ResponseTS)
		if tr.contains(ts) {
			inRange++
		}
	}
	if r.RowsRead != inRange {
		t.Errorf("RowsRead %d, want %d", r.RowsRead, inRange)
	}
	checkAgainstNaive(t, fx, r, tr)
	files, err := tableFiles(filepath.Join(fx.dir, FactTable), tr)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2*2 { // hours 23 and 0 of the range × 2 parts, of 5 hours
		t.Errorf("read %d files, want 4 (pruning): %v", len(files), files)
	}
}

func cmpOrInt(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}

func TestReaggregateMinuteToHourAndDay(t *testing.T) {
	fx := newFixture(t, 4000, 3, fxStart, 5*time.Hour)
	ctx := context.Background()
	by := []Dim{DimVhost, DimStatusClass, DimPath}
	minute := run1(t, Options{Warehouse: fx.dir}, Query{Grain: GrainMinute, By: by})
	if _, err := WriteTable(fx.dir, minute); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		grain Grain
		by    []Dim
		where string
	}{
		{GrainHour, []Dim{DimVhost}, ""},
		{GrainHour, []Dim{DimVhost, DimStatusClass, DimPath}, ""},
		{GrainDay, nil, ""},
		{GrainMinute, []Dim{DimPath}, "status_class=5xx"},
	} {
		t.Run(tc.grain.String()+"/"+setOf(tc.by).String(), func(t *testing.T) {
			var where []Filter
			if tc.where != "" {
				f, _ := ParseFilter(tc.where)
				where = []Filter{f}
			}
			q := Query{Grain: tc.grain, By: tc.by}
			direct, err := Aggregate(ctx, Options{Warehouse: fx.dir, Where: where}, q)
			if err != nil {
				t.Fatal(err)
			}
			re, err := Aggregate(ctx, Options{Warehouse: fx.dir, Input: "agg_http_minute", Where: where}, q)
			if err != nil {
				t.Fatal(err)
			}
			d, r := direct[0], re[0]
			if len(d.Groups) != len(r.Groups) {
				t.Fatalf("%d groups re-aggregated, %d direct", len(r.Groups), len(d.Groups))
			}
			for i := range d.Groups {
				dg, rg := &d.Groups[i], &r.Groups[i]
				if !dg.Bucket.Equal(rg.Bucket) || compareValues(dg, rg) != 0 {
					t.Fatalf("group %d: %v vs %v", i, groupKeyOf(d, dg), groupKeyOf(r, rg))
				}
				a, b := d.Row(dg), r.Row(rg)
				if a.Requests != b.Requests || a.ResponseWireBytes != b.ResponseWireBytes || a.Status5xx != b.Status5xx ||
					a.GapBytes != b.GapBytes || a.Anomalies != b.Anomalies || a.DistinctClients != b.DistinctClients ||
					a.TTFBCount != b.TTFBCount || a.DurationSumUs != b.DurationSumUs || *ptrOr(a.DurationMax) != *ptrOr(b.DurationMax) {
					t.Errorf("group %v: direct %+v\nre-aggregated %+v", groupKeyOf(d, dg), a, b)
				}
				for _, q := range Quantiles {
					x, _ := dg.Duration.Quantile(q)
					y, _ := rg.Duration.Quantile(q)
					if !withinAccuracy(y, x) {
						t.Errorf("group %v: duration p%v direct %v, re-aggregated %v", groupKeyOf(d, dg), q, x, y)
					}
				}
			}
			checkAgainstNaive(t, fx, r, timeRange{minMicros, maxMicros})
			if got := filterString(r.Where); got != filterString(where) {
				t.Errorf("Where = %q", got)
			}
		})
	}
}

func ptrOr(p *int64) *int64 {
	if p == nil {
		return new(int64)
	}
	return p
}

func TestReaggregateRefusals(t *testing.T) {
	fx := newFixture(t, 300, 4, fxStart, time.Hour)
	ctx := context.Background()
	hour := run1(t, Options{Warehouse: fx.dir}, Query{Grain: GrainHour, By: []Dim{DimVhost}})
	if _, err := WriteTable(fx.dir, hour); err != nil {
		t.Fatal(err)
	}
	for _, q := range []Query{
		{Grain: GrainMinute, By: []Dim{DimVhost}}, // finer
		{Grain: GrainDay, By: []Dim{DimPath}},     // dimension not kept
	} {
		_, err := Aggregate(ctx, Options{Warehouse: fx.dir, Input: "agg_http_hour"}, q)
		if !errors.Is(err, ErrNoInput) {
			t.Errorf("%+v: err = %v, want ErrNoInput", q, err)
		}
	}
	f, _ := ParseFilter("path=/")
	if _, err := Aggregate(ctx, Options{Warehouse: fx.dir, Input: "agg_http_hour", Where: []Filter{f}}, Query{Grain: GrainDay}); !errors.Is(err, ErrNoInput) {
		t.Errorf("filter on a dimension not kept: err = %v", err)
	}
	top := run1(t, Options{Warehouse: fx.dir}, Query{Grain: GrainHour, Top: 3})
	if _, err := WriteTable(t.TempDir(), top); !errors.Is(err, ErrTopNotWritable) {
		t.Errorf("writing a top result: err = %v", err)
	}
}

func TestWriteTableIsIdempotentAndPartitioned(t *testing.T) {
	fx := newFixture(t, 2000, 5, fxStart, 3*time.Hour)
	for _, g := range []Grain{GrainMinute, GrainHour, GrainDay} {
		r := run1(t, Options{Warehouse: fx.dir}, Query{Grain: g, By: []Dim{DimVhost, DimStatus}})
		out1, out2 := t.TempDir(), t.TempDir()
		f1, err := WriteTable(out1, r)
		if err != nil {
			t.Fatal(err)
		}
		r2 := run1(t, Options{Warehouse: fx.dir}, Query{Grain: g, By: []Dim{DimStatus, DimVhost}})
		f2, err := WriteTable(out2, r2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := WriteTable(out2, r2); err != nil { // again: replaces
			t.Fatal(err)
		}
		if len(f1) == 0 || len(f1) != len(f2) {
			t.Fatalf("%s: wrote %d and %d files", g, len(f1), len(f2))
		}
		for i := range f1 {
			rel1, _ := filepath.Rel(out1, f1[i])
			rel2, _ := filepath.Rel(out2, f2[i])
			if rel1 != rel2 {
				t.Errorf("%s: file names differ: %s vs %s", g, rel1, rel2)
			}
			b1, _ := os.ReadFile(f1[i])
			b2, _ := os.ReadFile(f2[i])
			if !bytes.Equal(b1, b2) {
				t.Errorf("%s: %s differs between runs", g, rel1)
			}
			parts := strings.Split(filepath.ToSlash(rel1), "/")
			wantDepth := 4 // agg_http_x/date=/hour=/file
			if g == GrainDay {
				wantDepth = 3
			}
			if parts[0] != g.Table() || len(parts) != wantDepth || !strings.HasPrefix(parts[1], "date=") {
				t.Errorf("%s: unexpected layout %s", g, rel1)
			}
		}
		matches, _ := filepath.Glob(filepath.Join(out2, g.Table(), "*", "*"))
		var leftovers []string
		filepath.WalkDir(out2, func(p string, d os.DirEntry, err error) error {
			if atomicfile.IsTemp(d.Name()) {
				leftovers = append(leftovers, p)
			}
			return nil
		})
		if len(leftovers) > 0 || len(matches) == 0 {
			t.Errorf("%s: temporary files left: %v", g, leftovers)
		}
	}
}

func TestTopPerBucket(t *testing.T) {
	fx := newFixture(t, 2000, 6, fxStart, 2*time.Hour)
	full := run1(t, Options{Warehouse: fx.dir}, Query{Grain: GrainHour, By: []Dim{DimPath}})
	top := run1(t, Options{Warehouse: fx.dir}, Query{Grain: GrainHour, By: []Dim{DimPath}, Top: 3})
	perBucket := map[time.Time][]Group{}
	for _, g := range full.Groups {
		perBucket[g.Bucket] = append(perBucket[g.Bucket], g)
	}
	var want []Group
	for _, g := range full.Groups {
		if bs := perBucket[g.Bucket]; len(bs) > 0 {
			want = append(want, bs[:min(3, len(bs))]...)
			delete(perBucket, g.Bucket)
		}
	}
	if len(top.Groups) != len(want) {
		t.Fatalf("%d groups, want %d", len(top.Groups), len(want))
	}
	for i := range want {
		if top.Groups[i].Requests != want[i].Requests || compareValues(&top.Groups[i], &want[i]) != 0 {
			t.Errorf("group %d differs", i)
		}
		if i > 0 && top.Groups[i].Bucket.Equal(top.Groups[i-1].Bucket) && top.Groups[i].Requests > top.Groups[i-1].Requests {
			t.Errorf("group %d: not ordered by requests", i)
		}
	}
}

func TestTextFormats(t *testing.T) {
	fx := newFixture(t, 500, 7, fxStart, time.Hour)
	r := run1(t, Options{Warehouse: fx.dir}, Query{Grain: GrainHour, By: []Dim{DimPath}})
	var buf bytes.Buffer
	if err := WriteText(&buf, "csv", r); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(r.Groups)+1 || recs[0][0] != "bucket_start" || recs[0][1] != "path" || recs[0][2] != "requests" {
		t.Errorf("csv: %d records, header %v", len(recs), recs[0])
	}
	buf.Reset()
	if err := WriteText(&buf, "json", r); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&buf)
	n := 0
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if _, ok := obj["duration_p99_us"]; !ok {
			t.Errorf("json object without duration_p99_us: %v", obj)
		}
		n++
	}
	if n != len(r.Groups) {
		t.Errorf("json: %d objects, want %d", n, len(r.Groups))
	}
	buf.Reset()
	if err := WriteText(&buf, "table", r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(r.Groups)+1 {
		t.Errorf("table: %d lines, want %d:\n%s", len(lines), len(r.Groups)+1, buf.String())
	}
	for _, l := range lines[1:] {
		if len(l) != len(lines[0]) {
			t.Errorf("table columns not aligned:\n%s\n%s", lines[0], l)
			break
		}
	}
	if err := WriteText(&buf, "xml", r); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestReportIsWellFormedWithCharts(t *testing.T) {
	fx := newFixture(t, 3000, 8, fxStart, 3*time.Hour)
	rep, err := BuildReport(context.Background(), Options{Warehouse: fx.dir}, GrainMinute, 10)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	// The page is XHTML-compatible: a strict XML parse proves it is well formed.
	dec := xml.NewDecoder(strings.NewReader(page))
	svgs := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("report is not well formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "svg" {
			for _, a := range se.Attr {
				if a.Name.Local == "id" {
					svgs[a.Value] = true
				}
			}
		}
	}
	for _, id := range []string{"requests-chart", "latency-chart", "status-mix-chart", "status-chart", "vhost-chart", "path-chart", "client-chart"} {
		if !svgs[id] {
			t.Errorf("report lacks the %s SVG", id)
		}
	}
	for _, bad := range []string{"<script", "http://cdn", "https://cdn", "src=\"http"} {
		if strings.Contains(page, bad) {
			t.Errorf("report is not self-contained: contains %q", bad)
		}
	}
	if !strings.Contains(page, "<polyline") {
		t.Error("no line drawn")
	}
	if strings.Contains(page, "/x\ty") {
		t.Error("control character from a path reached the page")
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"nope", "vhost", "vhost>a", "status>=abc", "bogus=1", "=x"} {
		if _, err := ParseFilter(s); err == nil {
			t.Errorf("ParseFilter(%q) accepted", s)
		}
	}
	for _, s := range []string{"vhost,vhost", "vhost,nope"} {
		if _, err := ParseDims(s); err == nil {
			t.Errorf("ParseDims(%q) accepted", s)
		}
	}
	f, err := ParseFilter("path=/a=b")
	if err != nil || f.Dim != DimPath || f.Value != "/a=b" {
		t.Errorf("ParseFilter(path=/a=b) = %+v, %v", f, err)
	}
	d, _ := ParseDims("status,vhost")
	if setOf(d).String() != "vhost,status" {
		t.Errorf("canonical order: %v", setOf(d))
	}
	if _, err := ParseGrain("week"); err == nil {
		t.Error("ParseGrain(week) accepted")
	}
}

func TestPartitionRange(t *testing.T) {
	from, to := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2026, 1, 2, 5, 0, 0, 0, time.UTC)
	f, tt := PartitionRange(GrainMinute, from, to)
	if !f.Equal(time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)) || !tt.Equal(to) {
		t.Errorf("minute: %v %v", f, tt)
	}
	f, tt = PartitionRange(GrainDay, from, to)
	if !f.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) || !tt.Equal(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("day: %v %v", f, tt)
	}
}

// The fixture must exercise what it claims to.
func TestFixtureCoverage(t *testing.T) {
	fx := newFixture(t, 2000, 1, fxStart, time.Hour)
	var reqMissing, respMissing, gaps, anomalies int
	for _, f := range fx.facts {
		if f.RequestMissing {
			reqMissing++
		}
		if f.ResponseMissing {
			respMissing++
		}
		if f.RequestGapBytes > 0 {
			gaps++
		}
		if len(f.Anomalies) > 0 {
			anomalies++
		}
	}
	if reqMissing == 0 || respMissing == 0 || gaps == 0 || anomalies == 0 {
		t.Errorf("fixture lacks cases: %d %d %d %d", reqMissing, respMissing, gaps, anomalies)
	}
	_ = schema.Version
}
