package etl

import (
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/spanlake/spanlake/schema"
)

// dimSet collects the dimension members referenced by the rows of one
// capture file. Each member is built once per distinct natural key.
type dimSet struct {
	dates        map[int32]schema.DimDate
	endpoints    map[netip.Addr]int64
	endpointRows map[int64]schema.DimEndpoint
	vhosts       memo[schema.DimVhost]
	urls         memo[schema.DimURL]
	userAgents   memo[schema.DimUserAgent]
	referrers    memo[schema.DimReferrer]
	contentTypes memo[schema.DimContentType]
}

func newDimSet() *dimSet {
	return &dimSet{
		dates: map[int32]schema.DimDate{}, endpoints: map[netip.Addr]int64{}, endpointRows: map[int64]schema.DimEndpoint{},
		vhosts: newMemo(vhostRow), urls: newMemo(urlRow), userAgents: newMemo(userAgentRow),
		referrers: newMemo(referrerRow), contentTypes: newMemo(contentTypeRow),
	}
}

func (d *dimSet) date(t time.Time) {
	k := dateKey(t)
	if _, ok := d.dates[k]; !ok {
		d.dates[k] = dateRow(t)
	}
}

func (d *dimSet) endpoint(a netip.Addr) int64 {
	if k, ok := d.endpoints[a]; ok {
		return k
	}
	k, row := endpointRow(a)
	d.endpoints[a] = k
	d.endpointRows[k] = row
	return k
}

func (d *dimSet) vhost(v string, present bool) int64       { return d.vhosts.get(v, present) }
func (d *dimSet) url(v string, present bool) int64         { return d.urls.get(v, present) }
func (d *dimSet) userAgent(v string, present bool) int64   { return d.userAgents.get(v, present) }
func (d *dimSet) referrer(v string, present bool) int64    { return d.referrers.get(v, present) }
func (d *dimSet) contentType(v string, present bool) int64 { return d.contentTypes.get(v, present) }

// memo maps natural values to surrogate keys, and keys to dimension rows.
// The absent member (key 0) is always present, so that "every key joins to
// exactly one row" holds for every file on its own.
type memo[T any] struct {
	build func(string, bool) (int64, T)
	keys  map[string]int64
	rows  map[int64]T
}

func newMemo[T any](build func(string, bool) (int64, T)) memo[T] {
	m := memo[T]{build: build, keys: map[string]int64{}, rows: map[int64]T{}}
	_, absent := build("", false)
	m.rows[absentKey] = absent
	return m
}

func (m *memo[T]) get(v string, present bool) int64 {
	if !present {
		return absentKey
	}
	if k, ok := m.keys[v]; ok {
		return k
	}
	// v usually points into the message's whole header block; a member
	// kept for the run must not pin it (about 400 B per distinct URL).
	v = strings.Clone(v)
	k, row := m.build(v, true)
	m.keys[v] = k
	m.rows[k] = row
	return k
}

// sortedRows returns the rows of a key → row map ordered by key, so files
// are byte-identical from run to run.
func sortedRows[T any](rows map[int64]T) []T {
	keys := make([]int64, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]T, len(keys))
	for i, k := range keys {
		out[i] = rows[k]
	}
	return out
}
