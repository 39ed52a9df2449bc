package aggregate

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats lists the stdout formats of WriteText.
func Formats() []string { return []string{"table", "csv", "json"} }

// textColumn is one output textColumn of a text format.
type textColumn struct {
	name  string
	value func(r *Result, g *Group) any // string, int64, float64 or nil (null)
}

func bucketText(r *Result, g *Group) string {
	switch r.Query.Grain {
	case GrainAll:
		return "all"
	case GrainDay:
		return g.Bucket.Format("2006-01-02")
	}
	return g.Bucket.Format(time.RFC3339)
}

func dimColumns(r *Result) []textColumn {
	var cols []textColumn
	for _, d := range setOf(r.Query.By).dims() {
		cols = append(cols, textColumn{d.String(), func(_ *Result, g *Group) any {
			if v, null := g.Value(d); !null {
				return v
			}
			return nil
		}})
	}
	return cols
}

func count(f func(g *Group) int64) func(*Result, *Group) any {
	return func(_ *Result, g *Group) any { return f(g) }
}

func quantile(l func(g *Group) *Latency, q float64) func(*Result, *Group) any {
	return func(_ *Result, g *Group) any {
		if v, ok := l(g).Quantile(q); ok {
			return v
		}
		return nil
	}
}

func maxOf(l func(g *Group) *Latency) func(*Result, *Group) any {
	return func(_ *Result, g *Group) any {
		if lat := l(g); lat.Count > 0 {
			return lat.MaxUs
		}
		return nil
	}
}

func ttfb(g *Group) *Latency     { return &g.TTFB }
func duration(g *Group) *Latency { return &g.Duration }

// allColumns are the CSV and JSON columns: every Row textColumn but the
// binary sketches.
func allColumns(r *Result) []textColumn {
	cols := []textColumn{{"bucket_start", func(r *Result, g *Group) any { return bucketText(r, g) }}}
	cols = append(cols, dimColumns(r)...)
	cols = append(cols,
		textColumn{"requests", count(func(g *Group) int64 { return g.Requests })},
		textColumn{"request_wire_bytes", count(func(g *Group) int64 { return g.RequestWireBytes })},
		textColumn{"request_body_bytes", count(func(g *Group) int64 { return g.RequestBodyBytes })},
		textColumn{"response_wire_bytes", count(func(g *Group) int64 { return g.ResponseWireBytes })},
		textColumn{"response_body_bytes", count(func(g *Group) int64 { return g.ResponseBodyBytes })},
		textColumn{"status_4xx", count(func(g *Group) int64 { return g.Status4xx })},
		textColumn{"status_5xx", count(func(g *Group) int64 { return g.Status5xx })},
		textColumn{"response_missing", count(func(g *Group) int64 { return g.ResponseMissing })},
		textColumn{"request_missing", count(func(g *Group) int64 { return g.RequestMissing })},
		textColumn{"gap_exchanges", count(func(g *Group) int64 { return g.GapExchanges })},
		textColumn{"gap_bytes", count(func(g *Group) int64 { return g.GapBytes })},
		textColumn{"anomaly_exchanges", count(func(g *Group) int64 { return g.AnomalyExchanges })},
		textColumn{"anomalies", count(func(g *Group) int64 { return g.Anomalies })},
		textColumn{"distinct_clients", count(func(g *Group) int64 { return g.DistinctClients() })},
	)
	for _, l := range []struct {
		name string
		f    func(*Group) *Latency
	}{{"ttfb", ttfb}, {"duration", duration}} {
		cols = append(cols,
			textColumn{l.name + "_count", count(func(g *Group) int64 { return l.f(g).Count })},
			textColumn{l.name + "_sum_us", count(func(g *Group) int64 { return l.f(g).SumUs })},
			textColumn{l.name + "_p50_us", quantile(l.f, 0.5)},
			textColumn{l.name + "_p90_us", quantile(l.f, 0.9)},
			textColumn{l.name + "_p95_us", quantile(l.f, 0.95)},
			textColumn{l.name + "_p99_us", quantile(l.f, 0.99)},
			textColumn{l.name + "_max_us", maxOf(l.f)},
		)
	}
	return cols
}

// tableColumns are the columns of the aligned table: the measures a person
// scans first, latencies in milliseconds.
func tableColumns(r *Result) []textColumn {
	ms := func(f func(*Result, *Group) any) func(*Result, *Group) any {
		return func(r *Result, g *Group) any {
			switch v := f(r, g).(type) {
			case float64:
				return strconv.FormatFloat(v/1000, 'f', 2, 64)
			case int64:
				return strconv.FormatFloat(float64(v)/1000, 'f', 2, 64)
			}
			return nil
		}
	}
	cols := []textColumn{{"bucket", func(r *Result, g *Group) any { return bucketText(r, g) }}}
	cols = append(cols, dimColumns(r)...)
	return append(cols,
		textColumn{"requests", count(func(g *Group) int64 { return g.Requests })},
		textColumn{"4xx", count(func(g *Group) int64 { return g.Status4xx })},
		textColumn{"5xx", count(func(g *Group) int64 { return g.Status5xx })},
		textColumn{"no_resp", count(func(g *Group) int64 { return g.ResponseMissing })},
		textColumn{"gaps", count(func(g *Group) int64 { return g.GapExchanges })},
		textColumn{"req_bytes", count(func(g *Group) int64 { return g.RequestWireBytes })},
		textColumn{"resp_bytes", count(func(g *Group) int64 { return g.ResponseWireBytes })},
		textColumn{"clients", count(func(g *Group) int64 { return g.DistinctClients() })},
		textColumn{"ttfb_p50_ms", ms(quantile(ttfb, 0.5))},
		textColumn{"ttfb_p95_ms", ms(quantile(ttfb, 0.95))},
		textColumn{"dur_p50_ms", ms(quantile(duration, 0.5))},
		textColumn{"dur_p90_ms", ms(quantile(duration, 0.9))},
		textColumn{"dur_p99_ms", ms(quantile(duration, 0.99))},
		textColumn{"dur_max_ms", ms(maxOf(duration))},
	)
}

func textValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	panic(fmt.Sprintf("BUG: aggregate: textColumn value %T", v))
}

// WriteText renders a result as an aligned table ("table"), CSV with a
// header ("csv", nulls empty) or JSON Lines ("json", one object per group,
// nulls null). Latency columns are microseconds except in the table
// (milliseconds).
func WriteText(w io.Writer, format string, r *Result) error {
	switch format {
	case "table":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		cols := tableColumns(r)
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.name
		}
		fmt.Fprintln(tw, strings.Join(names, "\t")+"\t")
		for i := range r.Groups {
			vals := make([]string, len(cols))
			for j, c := range cols {
				vals[j] = sanitizeCell(textValue(c.value(r, &r.Groups[i])))
			}
			fmt.Fprintln(tw, strings.Join(vals, "\t")+"\t")
		}
		return tw.Flush()
	case "csv":
		cw := csv.NewWriter(w)
		cols := allColumns(r)
		rec := make([]string, len(cols))
		for i, c := range cols {
			rec[i] = c.name
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		for i := range r.Groups {
			for j, c := range cols {
				v := c.value(r, &r.Groups[i])
				rec[j] = ""
				if v != nil {
					rec[j] = textValue(v)
				}
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case "json":
		bw := bufio.NewWriter(w)
		cols := allColumns(r)
		for i := range r.Groups {
			bw.WriteByte('{')
			for j, c := range cols {
				if j > 0 {
					bw.WriteByte(',')
				}
				k, _ := json.Marshal(c.name)
				v, err := json.Marshal(c.value(r, &r.Groups[i]))
				if err != nil {
					return err
				}
				bw.Write(k)
				bw.WriteByte(':')
				bw.Write(v)
			}
			bw.WriteString("}\n")
		}
		return bw.Flush()
	}
	return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(Formats(), ", "))
}

// sanitizeCell keeps a value on one table line: tabs, newlines and other
// control characters (possible in paths and hosts from the wire) become
// spaces.
func sanitizeCell(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
