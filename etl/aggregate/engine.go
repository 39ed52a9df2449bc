package aggregate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// FactTable is the table aggregated by default.
const FactTable = "fact_http_exchange"

// Options configure one scan of the warehouse.
type Options struct {
	// Warehouse is the root holding fact_http_exchange, dim_* and
	// agg_http_* tables.
	Warehouse string
	// Input is what is aggregated: "" or FactTable for the facts, a rollup
	// table name (agg_http_minute, agg_http_hour, agg_http_day) inside the
	// warehouse, or the path of a rollup table directory.
	Input string
	// From (inclusive) and To (exclusive) bound the time buckets; the zero
	// time is unbounded. An exchange's time is its request_ts (response_ts
	// when no request was seen); a rollup row's is its bucket_start.
	From, To time.Time
	// Where filters rows before grouping (all must match).
	Where []Filter
	// Logger receives progress at debug level and warnings; nil discards.
	Logger *slog.Logger
}

// Query is one grouping of the scanned rows: a time grain and dimensions.
type Query struct {
	Grain Grain
	By    []Dim
	// Top keeps only the Top groups with the most requests in each time
	// bucket (ties broken by dimension values); 0 keeps all.
	Top int
}

// Result is the outcome of one Query.
type Result struct {
	Query  Query
	Where  []Filter
	Groups []Group // ordered by bucket, then requests (descending), then dimension values
	// RowsRead counts the input rows (facts or rollup rows) in the time
	// range, before filters.
	RowsRead int64
}

// Group is one row of a rollup.
type Group struct {
	Bucket time.Time // start of the time bucket, UTC
	values [numDims]string
	nulls  dimSet
	Measures
}

// Value returns the group's value of a dimension; null is true for a
// missing value (and for dimensions the query did not group by).
func (g *Group) Value(d Dim) (v string, null bool) { return g.values[d], g.nulls.has(d) }

// ErrNoInput marks a re-aggregation whose input has no usable rollup.
var ErrNoInput = errors.New("aggregate: no usable input")

// Aggregate scans the input once and answers every query.
func Aggregate(ctx context.Context, opts Options, queries ...Query) ([]*Result, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if len(queries) == 0 {
		return nil, errors.New("aggregate: no query")
	}
	e := &engine{opts: opts, tr: newTimeRange(opts.From, opts.To), filters: opts.Where}
	for d := range e.dicts {
		e.dicts[d] = newDict()
	}
	e.statusDash = e.dicts[DimStatus].id("-")
	e.classDash = e.dicts[DimStatusClass].id("-")
	e.filterCache = make([][]int8, len(e.filters))
	if !opts.From.IsZero() {
		e.allStart = opts.From.UnixMicro()
	}
	for _, q := range queries {
		s := &groupSet{q: q, dims: setOf(q.By), groups: map[groupKey]*Measures{}}
		e.sets = append(e.sets, s)
		e.needed = e.needed.union(s.dims)
	}
	e.needed = e.needed.union(filterDims(e.filters))
	var err error
	switch in := opts.Input; {
	case in == "" || in == FactTable:
		err = e.scanFacts(ctx, filepath.Join(opts.Warehouse, FactTable))
	case strings.ContainsRune(in, filepath.Separator) || strings.ContainsRune(in, '/'):
		err = e.scanRollups(ctx, in)
	case strings.HasPrefix(in, "agg_http_"):
		err = e.scanRollups(ctx, filepath.Join(opts.Warehouse, in))
	default:
		return nil, fmt.Errorf("%w: unknown input %q: want %s, agg_http_<grain> or a directory", ErrNoInput, in, FactTable)
	}
	if err != nil {
		return nil, err
	}
	out := make([]*Result, len(e.sets))
	for i, s := range e.sets {
		out[i] = e.result(s)
	}
	return out, nil
}

// engine is the state of one scan.
type engine struct {
	opts        Options
	tr          timeRange
	allStart    int64
	dicts       [numDims]*dict
	statusDash  uint32 // id of "-" in the status dictionary
	classDash   uint32
	filters     []Filter
	inputWhere  []Filter // filters already applied to a rollup input
	filterCache [][]int8 // per filter, per id of its dimension: 0 unknown, 1 match, -1 no match
	sets        []*groupSet
	needed      dimSet // dimensions grouped or filtered by
	rowsRead    int64

	// per-batch scratch
	ids  [numDims][]uint32
	keep []bool
}

type groupKey struct {
	bucket int64
	v      [numDims]uint32
}

type groupSet struct {
	q      Query
	dims   dimSet
	groups map[groupKey]*Measures
}

// prepare sizes the per-batch scratch for n rows.
func (e *engine) prepare(n int) {
	for d := Dim(0); d < numDims; d++ {
		if e.needed.has(d) {
			e.ids[d] = slices.Grow(e.ids[d][:0], n)[:n]
		}
	}
	e.keep = slices.Grow(e.keep[:0], n)[:n]
}

// applyFilters sets keep[i] for rows whose dimension ids pass every filter
// (keep must already be false for rows outside the time range).
func (e *engine) applyFilters(n int) {
	for fi, f := range e.filters {
		ids := e.ids[f.Dim]
		cache := e.filterCache[fi]
		for i := 0; i < n; i++ {
			if !e.keep[i] {
				continue
			}
			id := ids[i]
			if int(id) >= len(cache) {
				cache = append(cache, make([]int8, int(id)+1-len(cache))...)
			}
			if cache[id] == 0 {
				v, null := e.dicts[f.Dim].value(id)
				cache[id] = -1
				if f.match(v, null) {
					cache[id] = 1
				}
			}
			e.keep[i] = cache[id] == 1
		}
		e.filterCache[fi] = cache
	}
}

// group returns the measures of row i's group in s.
func (e *engine) group(s *groupSet, ts int64, i int) *Measures {
	k := groupKey{bucket: s.q.Grain.bucket(ts, e.allStart)}
	for d := Dim(0); d < numDims; d++ {
		if s.dims.has(d) {
			k.v[d] = e.ids[d][i]
		}
	}
	m := s.groups[k]
	if m == nil {
		m = &Measures{}
		s.groups[k] = m
	}
	return m
}

func (e *engine) result(s *groupSet) *Result {
	r := &Result{Query: s.q, Where: append(slices.Clip(e.inputWhere), e.filters...), RowsRead: e.rowsRead, Groups: make([]Group, 0, len(s.groups))}
	for k, m := range s.groups {
		g := Group{Bucket: time.UnixMicro(k.bucket).UTC(), Measures: *m}
		for d := Dim(0); d < numDims; d++ {
			if !s.dims.has(d) {
				g.nulls = g.nulls.with(d)
				continue
			}
			v, null := e.dicts[d].value(k.v[d])
			g.values[d] = v
			if null {
				g.nulls = g.nulls.with(d)
			}
		}
		r.Groups = append(r.Groups, g)
	}
	slices.SortFunc(r.Groups, compareGroups)
	if s.q.Top > 0 {
		r.Groups = topPerBucket(r.Groups, s.q.Top)
	}
	return r
}

// compareGroups orders by bucket, then requests descending, then dimension
// values (null first): a total order, so output is deterministic.
func compareGroups(a, b Group) int {
	if c := a.Bucket.Compare(b.Bucket); c != 0 {
		return c
	}
	if a.Requests != b.Requests {
		if a.Requests > b.Requests {
			return -1
		}
		return 1
	}
	return compareValues(&a, &b)
}

func compareValues(a, b *Group) int {
	for d := Dim(0); d < numDims; d++ {
		an, bn := a.nulls.has(d), b.nulls.has(d)
		switch {
		case an && bn:
			continue
		case an:
			return -1
		case bn:
			return 1
		}
		if c := strings.Compare(a.values[d], b.values[d]); c != 0 {
			return c
		}
	}
	return 0
}

func topPerBucket(gs []Group, n int) []Group {
	out := gs[:0]
	for i := 0; i < len(gs); {
		j := i
		for j < len(gs) && gs[j].Bucket.Equal(gs[i].Bucket) {
			j++
		}
		out = append(out, gs[i:min(j, i+n)]...)
		i = j
	}
	return out
}
