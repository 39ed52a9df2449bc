package aggregate

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Report is the content of the HTML report: a time series and top lists,
// computed in one scan.
type Report struct {
	Options Options
	Grain   Grain
	Series  *Result // by nothing, at Grain
	Totals  *Result // by nothing, one bucket
	Vhosts  *Result // top vhosts
	Paths   *Result // top paths
	Clients *Result // top clients
	Classes *Result // status classes
	Codes   *Result // status codes
}

// BuildReport aggregates everything the report shows; top is the length of
// the top lists.
func BuildReport(ctx context.Context, opts Options, grain Grain, top int) (*Report, error) {
	res, err := Aggregate(ctx, opts,
		Query{Grain: grain},
		Query{Grain: GrainAll},
		Query{Grain: GrainAll, By: []Dim{DimVhost}, Top: top},
		Query{Grain: GrainAll, By: []Dim{DimPath}, Top: top},
		Query{Grain: GrainAll, By: []Dim{DimClient}, Top: top},
		Query{Grain: GrainAll, By: []Dim{DimStatusClass}},
		Query{Grain: GrainAll, By: []Dim{DimStatus}, Top: 20},
	)
	if err != nil {
		return nil, err
	}
	return &Report{Options: opts, Grain: grain, Series: res[0], Totals: res[1], Vhosts: res[2], Paths: res[3], Clients: res[4], Classes: res[5], Codes: res[6]}, nil
}

// maxSeriesPoints caps the buckets drawn (missing buckets are drawn as
// zero, so a long range at minute grain would otherwise be huge).
const maxSeriesPoints = 5000

// Chart geometry.
const (
	chartW, chartH             = 900, 260
	padL, padR, padT, padB     = 70, 20, 20, 40
	barW, barRowH, barLabelW   = 900, 22, 330
	colorReq, color4, color5   = "#3366cc", "#ff9900", "#dc3912"
	colorP50, colorP95, colP99 = "#109618", "#990099", "#dc3912"
)

// WriteHTML writes the report as one self-contained XHTML-compatible page:
// inline CSS and SVG, no script, nothing fetched when viewed.
func (rep *Report) WriteHTML(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	esc := html.EscapeString
	title := "spanlake traffic report"
	p("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>%s</title>\n", esc(title))
	p("<style>\nbody{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:960px}\nh2{margin-top:2em;border-bottom:1px solid #ccc}\ntable{border-collapse:collapse}\ntd,th{padding:2px 10px;text-align:right;border-bottom:1px solid #eee}\nth{background:#f4f4f4}\nsvg text{font-size:12px;font-family:system-ui,sans-serif}\n.legend span{display:inline-block;margin-right:1.5em}\n.sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}\n</style>\n</head>\n<body>\n")
	p("<h1>%s</h1>\n", esc(title))
	p("<p>Warehouse <code>%s</code>, input <code>%s</code>, range %s, grain %s", esc(rep.Options.Warehouse), esc(cmpOr(rep.Options.Input, FactTable)), esc(rangeText(rep.Options.From, rep.Options.To)), esc(rep.Grain.String()))
	if f := filterString(rep.Series.Where); f != "" {
		p(", filter <code>%s</code>", esc(f))
	}
	p(". Generated from %d input rows.</p>\n", rep.Series.RowsRead)

	var tot Group
	if len(rep.Totals.Groups) > 0 {
		tot = rep.Totals.Groups[0]
	}
	p("<h2>Summary</h2>\n<table>\n")
	row := func(k, v string) { p("<tr><th>%s</th><td>%s</td></tr>\n", esc(k), esc(v)) }
	row("requests", strconv.FormatInt(tot.Requests, 10))
	row("4xx", strconv.FormatInt(tot.Status4xx, 10))
	row("5xx", strconv.FormatInt(tot.Status5xx, 10))
	row("no response", strconv.FormatInt(tot.ResponseMissing, 10))
	row("exchanges with capture gaps", strconv.FormatInt(tot.GapExchanges, 10))
	row("exchanges with anomalies", strconv.FormatInt(tot.AnomalyExchanges, 10))
	row("distinct clients", strconv.FormatInt(tot.DistinctClients(), 10))
	row("request bytes (wire)", strconv.FormatInt(tot.RequestWireBytes, 10))
	row("response bytes (wire)", strconv.FormatInt(tot.ResponseWireBytes, 10))
	for _, q := range []struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p95", 0.95}, {"p99", 0.99}} {
		row("duration "+q.name+" (ms)", msText(tot.Duration.Quantile(q.q)))
		row("ttfb "+q.name+" (ms)", msText(tot.TTFB.Quantile(q.q)))
	}
	p("</table>\n")

	times, series := rep.timeSeries()
	p("<h2>Requests and errors per %s</h2>\n", esc(rep.Grain.String()))
	p("%s", lineChart("requests-chart", "requests", times, []lineSeries{
		{"requests", colorReq, series["requests"]}, {"4xx", color4, series["4xx"]}, {"5xx", color5, series["5xx"]},
	}))
	p("<h2>Duration percentiles per %s (ms)</h2>\n", esc(rep.Grain.String()))
	p("%s", lineChart("latency-chart", "ms", times, []lineSeries{
		{"p50", colorP50, series["p50"]}, {"p95", colorP95, series["p95"]}, {"p99", colP99, series["p99"]},
	}))
	p("<h2>Status mix</h2>\n%s", statusMix(rep.Classes, tot.Requests))
	p("%s", barChart("status-chart", rep.Codes, DimStatus))
	p("<h2>Top virtual hosts</h2>\n%s", barChart("vhost-chart", rep.Vhosts, DimVhost))
	p("<h2>Top paths</h2>\n%s", barChart("path-chart", rep.Paths, DimPath))
	p("<h2>Top clients</h2>\n%s", barChart("client-chart", rep.Clients, DimClient))
	p("</body>\n</html>\n")
	return bw.Flush()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func rangeText(from, to time.Time) string {
	f, t := "beginning", "end"
	if !from.IsZero() {
		f = from.UTC().Format(time.RFC3339)
	}
	if !to.IsZero() {
		t = to.UTC().Format(time.RFC3339)
	}
	return f + " to " + t
}

func msText(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return strconv.FormatFloat(v/1000, 'f', 2, 64)
}

// timeSeries fills every bucket between the first and the last group (at
// most maxSeriesPoints); missing buckets count zero requests and have no
// latency (NaN, drawn as a break in the line).
func (rep *Report) timeSeries() ([]time.Time, map[string][]float64) {
	s := map[string][]float64{}
	gs := rep.Series.Groups
	if len(gs) == 0 {
		return nil, s
	}
	w := rep.Grain.micros()
	first, last := gs[0].Bucket.UnixMicro(), gs[len(gs)-1].Bucket.UnixMicro()
	n := 1
	if w > 0 {
		n = int(min((last-first)/w+1, maxSeriesPoints))
	}
	times := make([]time.Time, n)
	for _, k := range []string{"requests", "4xx", "5xx", "p50", "p95", "p99"} {
		s[k] = make([]float64, n)
	}
	for i := range times {
		times[i] = time.UnixMicro(first + int64(i)*w).UTC()
		s["p50"][i], s["p95"][i], s["p99"][i] = math.NaN(), math.NaN(), math.NaN()
	}
	for i := range gs {
		g := &gs[i]
		j := 0
		if w > 0 {
			j = int((g.Bucket.UnixMicro() - first) / w)
		}
		if j >= n {
			break
		}
		s["requests"][j] = float64(g.Requests)
		s["4xx"][j] = float64(g.Status4xx)
		s["5xx"][j] = float64(g.Status5xx)
		for _, q := range []struct {
			k string
			q float64
		}{{"p50", 0.5}, {"p95", 0.95}, {"p99", 0.99}} {
			if v, ok := g.Duration.Quantile(q.q); ok {
				s[q.k][j] = v / 1000
			}
		}
	}
	return times, s
}

type lineSeries struct {
	name, color string
	values      []float64
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func lineChart(id, unit string, times []time.Time, series []lineSeries) string {
	var b strings.Builder
	if len(times) == 0 {
		return "<p>No data.</p>\n"
	}
	maxV := 0.0
	for _, s := range series {
		for _, v := range s.values {
			if !math.IsNaN(v) {
				maxV = max(maxV, v)
			}
		}
	}
	maxV = niceMax(maxV)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	x := func(i int) float64 {
		if len(times) == 1 {
			return padL + plotW/2
		}
		return padL + plotW*float64(i)/float64(len(times)-1)
	}
	y := func(v float64) float64 { return padT + plotH*(1-v/maxV) }
	fmt.Fprintf(&b, "<svg id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n", id, chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, "<title>%s</title>\n", html.EscapeString(id))
	for i := 0; i <= 4; i++ {
		v := maxV * float64(i) / 4
		fmt.Fprintf(&b, "<line x1=\"%d\" x2=\"%d\" y1=\"%s\" y2=\"%s\" stroke=\"#ddd\"/>\n", padL, chartW-padR, num(y(v)), num(y(v)))
		fmt.Fprintf(&b, "<text x=\"%d\" y=\"%s\" text-anchor=\"end\">%s</text>\n", padL-6, num(y(v)+4), html.EscapeString(strconv.FormatFloat(v, 'g', 4, 64)))
	}
	fmt.Fprintf(&b, "<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">%s</text>\n", padT+int(plotH/2), padT+int(plotH/2), html.EscapeString(unit))
	labels := min(len(times), 6)
	for k := 0; k < labels; k++ {
		i := 0
		if labels > 1 {
			i = k * (len(times) - 1) / (labels - 1)
		}
		fmt.Fprintf(&b, "<text x=\"%s\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", num(x(i)), chartH-padB+18, html.EscapeString(times[i].Format("01-02 15:04")))
	}
	for _, s := range series {
		var pts []string
		flush := func() {
			switch len(pts) {
			case 0:
			case 1:
				xy := strings.Split(pts[0], ",")
				fmt.Fprintf(&b, "<circle cx=\"%s\" cy=\"%s\" r=\"3\" fill=\"%s\"/>\n", xy[0], xy[1], s.color)
			default:
				fmt.Fprintf(&b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", s.color, strings.Join(pts, " "))
			}
			pts = pts[:0]
		}
		for i, v := range s.values {
			if math.IsNaN(v) {
				flush()
				continue
			}
			pts = append(pts, num(x(i))+","+num(y(v)))
		}
		flush()
	}
	b.WriteString("</svg>\n<p class=\"legend\">")
	for _, s := range series {
		fmt.Fprintf(&b, "<span><span class=\"sw\" style=\"background:%s\"></span>%s</span>", s.color, html.EscapeString(s.name))
	}
	b.WriteString("</p>\n")
	return b.String()
}

// barChart draws one horizontal bar per group (requests), labelled with
// the dimension value.
func barChart(id string, r *Result, d Dim) string {
	if len(r.Groups) == 0 {
		return "<p>No data.</p>\n"
	}
	var b strings.Builder
	maxV := float64(r.Groups[0].Requests)
	for i := range r.Groups {
		maxV = max(maxV, float64(r.Groups[i].Requests))
	}
	h := len(r.Groups)*barRowH + 10
	plotW := float64(barW - barLabelW - 80)
	fmt.Fprintf(&b, "<svg id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n<title>%s</title>\n", id, barW, h, barW, h, html.EscapeString(id))
	for i := range r.Groups {
		g := &r.Groups[i]
		label, null := g.Value(d)
		if null {
			label = "(none)"
		}
		if len([]rune(label)) > 48 {
			label = string([]rune(label)[:47]) + "…"
		}
		yy := 5 + i*barRowH
		wv := plotW * float64(g.Requests) / maxV
		fmt.Fprintf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", barLabelW-6, yy+15, html.EscapeString(sanitizeCell(label)))
		fmt.Fprintf(&b, "<rect x=\"%d\" y=\"%d\" width=\"%s\" height=\"%d\" fill=\"%s\"/>\n", barLabelW, yy+3, num(wv), barRowH-6, colorReq)
		fmt.Fprintf(&b, "<text x=\"%s\" y=\"%d\">%d</text>\n", num(float64(barLabelW)+wv+6), yy+15, g.Requests)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

var classColors = map[string]string{"1xx": "#999999", "2xx": "#109618", "3xx": "#3366cc", "4xx": "#ff9900", "5xx": "#dc3912", "-": "#555555", "other": "#bbbbbb"}

// statusMix draws one stacked bar of the status classes.
func statusMix(r *Result, total int64) string {
	if total == 0 {
		return "<p>No data.</p>\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<svg id=\"status-mix-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"40\" viewBox=\"0 0 %d 40\" role=\"img\">\n<title>status mix</title>\n", barW, barW)
	x := 0.0
	var legend strings.Builder
	for i := range r.Groups {
		g := &r.Groups[i]
		cl, _ := g.Value(DimStatusClass)
		color, ok := classColors[cl]
		if !ok {
			color = "#bbbbbb"
		}
		w := float64(barW) * float64(g.Requests) / float64(total)
		fmt.Fprintf(&b, "<rect x=\"%s\" y=\"5\" width=\"%s\" height=\"30\" fill=\"%s\"><title>%s: %d</title></rect>\n", num(x), num(w), color, html.EscapeString(cl), g.Requests)
		x += w
		fmt.Fprintf(&legend, "<span><span class=\"sw\" style=\"background:%s\"></span>%s: %d (%.1f%%)</span>", color, html.EscapeString(map[bool]string{true: "no response", false: cl}[cl == "-"]), g.Requests, 100*float64(g.Requests)/float64(total))
	}
	b.WriteString("</svg>\n<p class=\"legend\">")
	b.WriteString(legend.String())
	b.WriteString("</p>\n")
	return b.String()
}
