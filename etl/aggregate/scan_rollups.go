package aggregate

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Key/value metadata of every rollup file: the file holds exactly one
// grouping, so re-aggregation chooses files without reading rows.
const (
	metaGrain  = "spanlake.agg.grain"
	metaBy     = "spanlake.agg.by"
	metaFilter = "spanlake.agg.filter"
)

type rollupGrouping struct {
	by     dimSet
	filter string
	files  []string
	parts  map[string]bool // partition directories covered
}

// scanRollups re-aggregates a rollup table. Of the groupings stored in the
// table (one per `by`/`filter` pair), it reads the one that has every
// dimension the queries group or filter by, preferring no filter, then the
// fewest dimensions (the fewest rows), then the canonical `by` text.
func (e *engine) scanRollups(ctx context.Context, dir string) error {
	files, err := tableFiles(dir, e.tr)
	if err != nil {
		return err
	}
	groupings := map[string]*rollupGrouping{}
	allParts := map[string]bool{}
	var inGrain Grain = -1
	for _, path := range files {
		f, err := openParquet(path)
		if err != nil {
			return err
		}
		gs, bys, flt := f.meta(metaGrain), f.meta(metaBy), f.meta(metaFilter)
		f.Close()
		g, err := ParseGrain(gs)
		if err != nil {
			return fmt.Errorf("cannot re-aggregate %s: not a spanlake rollup file: %w", path, err)
		}
		if inGrain >= 0 && g != inGrain {
			return fmt.Errorf("cannot re-aggregate %s: it mixes %s and %s rollups", dir, inGrain, g)
		}
		inGrain = g
		by, err := ParseDims(bys)
		if err != nil {
			return fmt.Errorf("cannot re-aggregate %s: %w", path, err)
		}
		key := bys + "\x00" + flt
		rg := groupings[key]
		if rg == nil {
			rg = &rollupGrouping{by: setOf(by), filter: flt, parts: map[string]bool{}}
			groupings[key] = rg
		}
		rg.files = append(rg.files, path)
		part := filepath.Dir(path)
		rg.parts[part], allParts[part] = true, true
	}
	if len(groupings) == 0 {
		e.opts.Logger.Warn("no rollup files in range", "dir", dir)
		return nil
	}
	for _, s := range e.sets {
		if !inGrain.divides(s.q.Grain) {
			return fmt.Errorf("%w: cannot aggregate %s rollups to the finer grain %s", ErrNoInput, inGrain, s.q.Grain)
		}
	}
	var cands []*rollupGrouping
	for _, rg := range groupings {
		if rg.by.contains(e.needed) {
			cands = append(cands, rg)
		}
	}
	if len(cands) == 0 {
		var have []string
		for _, rg := range groupings {
			have = append(have, fmt.Sprintf("by=%q filter=%q", rg.by, rg.filter))
		}
		slices.Sort(have)
		return fmt.Errorf("%w: %s has no rollup grouped by %q (has: %s)", ErrNoInput, dir, e.needed, strings.Join(have, "; "))
	}
	slices.SortFunc(cands, func(a, b *rollupGrouping) int {
		if (a.filter == "") != (b.filter == "") {
			if a.filter == "" {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(len(a.by.dims()), len(b.by.dims())); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.by.String(), b.by.String()), strings.Compare(a.filter, b.filter))
	})
	rg := cands[0]
	e.opts.Logger.Info("re-aggregating", "input", dir, "grain", inGrain, "by", rg.by.String(), "filter", rg.filter, "files", len(rg.files))
	if len(rg.parts) < len(allParts) {
		e.opts.Logger.Warn("the chosen rollup does not cover every partition in range; those partitions are missing from the result",
			"by", rg.by.String(), "partitions", len(rg.parts), "of", len(allParts))
	}
	if rg.filter != "" {
		inFilters, err := parseFilterString(rg.filter)
		if err != nil {
			return fmt.Errorf("cannot re-aggregate %s: %w", dir, err)
		}
		// The stored rows already passed these (and may lack their
		// dimensions): record them, do not re-apply them.
		e.inputWhere = inFilters
	}
	cols := append([]string{"bucket_start"}, rollupMeasureColumns...)
	for d := Dim(0); d < numDims; d++ {
		if e.needed.has(d) {
			cols = append(cols, rollupDimColumns[d])
		}
	}
	for _, path := range rg.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := openParquet(path)
		if err != nil {
			return err
		}
		err = f.records(ctx, cols, func(rec arrow.RecordBatch) error { return e.addRollupBatch(rec) })
		f.Close()
		if err != nil {
			return fmt.Errorf("cannot re-aggregate %s: %w", path, err)
		}
	}
	return nil
}

var rollupMeasureColumns = []string{
	"requests", "request_wire_bytes", "request_body_bytes", "response_wire_bytes", "response_body_bytes",
	"status_4xx", "status_5xx", "response_missing", "request_missing", "gap_exchanges", "gap_bytes",
	"anomaly_exchanges", "anomalies",
	"ttfb_count", "ttfb_sum_us", "ttfb_max_us", "ttfb_sketch",
	"duration_count", "duration_sum_us", "duration_max_us", "duration_sketch",
	"clients_hll",
}

func (e *engine) addRollupBatch(rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	bucket := timestampColumn(rec, "bucket_start")
	if bucket == nil {
		return fmt.Errorf("no bucket_start column")
	}
	e.prepare(n)
	for i := 0; i < n; i++ {
		e.keep[i] = bucket.IsValid(i) && e.tr.contains(int64(bucket.Value(i)))
		if e.keep[i] {
			e.rowsRead++
		}
	}
	for d := Dim(0); d < numDims; d++ {
		if e.needed.has(d) {
			e.stringIDs(d, stringColumn(rec, rollupDimColumns[d]), n)
		}
	}
	e.applyFilters(n)
	counts := make([]*array.Int64, 13)
	for j, name := range rollupMeasureColumns[:13] {
		counts[j] = int64Column(rec, name)
	}
	ttfbC, ttfbS, ttfbM := int64Column(rec, "ttfb_count"), int64Column(rec, "ttfb_sum_us"), int64Column(rec, "ttfb_max_us")
	durC, durS, durM := int64Column(rec, "duration_count"), int64Column(rec, "duration_sum_us"), int64Column(rec, "duration_max_us")
	ttfbSk, durSk, hll := binaryColumn(rec, "ttfb_sketch"), binaryColumn(rec, "duration_sketch"), binaryColumn(rec, "clients_hll")
	var row Measures
	for i := 0; i < n; i++ {
		if !e.keep[i] {
			continue
		}
		row = Measures{
			Requests: i64(counts[0], i), RequestWireBytes: i64(counts[1], i), RequestBodyBytes: i64(counts[2], i),
			ResponseWireBytes: i64(counts[3], i), ResponseBodyBytes: i64(counts[4], i),
			Status4xx: i64(counts[5], i), Status5xx: i64(counts[6], i),
			ResponseMissing: i64(counts[7], i), RequestMissing: i64(counts[8], i),
			GapExchanges: i64(counts[9], i), GapBytes: i64(counts[10], i),
			AnomalyExchanges: i64(counts[11], i), Anomalies: i64(counts[12], i),
		}
		for _, s := range e.sets {
			m := e.group(s, int64(bucket.Value(i)), i)
			m.addCounts(&row)
			if err := m.TTFB.merge(i64(ttfbC, i), i64(ttfbS, i), i64(ttfbM, i), bytesAt(ttfbSk, i)); err != nil {
				return err
			}
			if err := m.Duration.merge(i64(durC, i), i64(durS, i), i64(durM, i), bytesAt(durSk, i)); err != nil {
				return err
			}
			if err := m.mergeClients(bytesAt(hll, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func bytesAt(a *array.Binary, i int) []byte {
	if a == nil || a.IsNull(i) {
		return nil
	}
	return a.Value(i)
}
