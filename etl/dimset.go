package etl

import (
	"net/netip"
	"strings"
	"time"

	"github.com/spanlake/spanlake/schema"
)

// dimSet hands the dimension members referenced by the rows of one capture
// file to the warehouse's dimension tables (dim_tables.go), each member
// once per distinct natural key as long as it is remembered.
//
// Memory: the members are not held here until the commit (they were, and
// a capture with millions of distinct URLs or clients — a crawler, a
// scanner, an attacker — grew the run without bound). A member goes to its
// dimension table when first seen, where it is buffered under the memory
// budget and spilled like fact rows; the table keeps one row per key when
// it writes (dimension keys are hashes of the natural value, so equal keys
// are equal rows). What stays here is a cache of the keys already sent,
// at most dimCacheEntries per dimension, emptied when full and when the
// capture file is done: forgetting costs a duplicate row in the buffer,
// never a wrong file.
type dimSet struct {
	source       uint64
	tables       *dimTables
	err          error // the first error of a table (sticky; see Warehouse.Exchange)
	dates        map[int32]schema.DimDate
	endpoints    map[netip.Addr]int64
	vhosts       memo[schema.DimVhost]
	urls         memo[schema.DimURL]
	userAgents   memo[schema.DimUserAgent]
	referrers    memo[schema.DimReferrer]
	contentTypes memo[schema.DimContentType]
}

// dimCacheEntries bounds each cache of a dimSet: about 150 bytes an entry
// (the value, its key and the map's overhead), so ~1 MB per dimension
// and capture file at most.
const dimCacheEntries = 8192

func newDimSet(source uint64, t *dimTables) *dimSet {
	d := &dimSet{
		source: source, tables: t,
		dates: map[int32]schema.DimDate{}, endpoints: map[netip.Addr]int64{},
		vhosts: newMemo(vhostRow, t.vhosts), urls: newMemo(urlRow, t.urls), userAgents: newMemo(userAgentRow, t.userAgents),
		referrers: newMemo(referrerRow, t.referrers), contentTypes: newMemo(contentTypeRow, t.contentTypes),
	}
	// The absent member (key 0) is always written, so that "every key
	// joins to exactly one row" holds for every file on its own.
	d.keep(d.vhosts.absent(d.source))
	d.keep(d.urls.absent(d.source))
	d.keep(d.userAgents.absent(d.source))
	d.keep(d.referrers.absent(d.source))
	d.keep(d.contentTypes.absent(d.source))
	return d
}

// keep records the first error.
func (d *dimSet) keep(err error) {
	if d.err == nil {
		d.err = err
	}
}

// forget empties the caches (the capture file is done; its members are in
// the tables).
func (d *dimSet) forget() {
	clear(d.endpoints)
	d.vhosts.forget()
	d.urls.forget()
	d.userAgents.forget()
	d.referrers.forget()
	d.contentTypes.forget()
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
	if len(d.endpoints) >= dimCacheEntries {
		clear(d.endpoints)
	}
	d.endpoints[a] = k
	d.keep(d.tables.endpoints.add(partition{source: d.source}, &row))
	return k
}

func (d *dimSet) vhost(v string, present bool) int64     { return member(d, &d.vhosts, v, present) }
func (d *dimSet) url(v string, present bool) int64       { return member(d, &d.urls, v, present) }
func (d *dimSet) userAgent(v string, present bool) int64 { return member(d, &d.userAgents, v, present) }
func (d *dimSet) referrer(v string, present bool) int64  { return member(d, &d.referrers, v, present) }
func (d *dimSet) contentType(v string, present bool) int64 {
	return member(d, &d.contentTypes, v, present)
}

// member returns the key of value v of one of d's dimensions, sending the
// member to its table if it is not cached.
func member[T any](d *dimSet, m *memo[T], v string, present bool) int64 {
	k, err := m.get(d.source, v, present)
	d.keep(err)
	return k
}

// memo maps natural values to surrogate keys, remembering at most
// dimCacheEntries of them, and sends each member it builds to its table.
type memo[T any] struct {
	build func(string, bool) (int64, T)
	table *factTable[T]
	keys  map[string]int64
}

func newMemo[T any](build func(string, bool) (int64, T), table *factTable[T]) memo[T] {
	return memo[T]{build: build, table: table, keys: map[string]int64{}}
}

// absent writes the absent member of source.
func (m *memo[T]) absent(source uint64) error {
	_, row := m.build("", false)
	return m.table.add(partition{source: source}, &row)
}

func (m *memo[T]) get(source uint64, v string, present bool) (int64, error) {
	if !present {
		return absentKey, nil
	}
	if k, ok := m.keys[v]; ok {
		return k, nil
	}
	// v usually points into the message's whole header block; a cached
	// value must not pin it (about 400 B per distinct URL).
	v = strings.Clone(v)
	k, row := m.build(v, true)
	if len(m.keys) >= dimCacheEntries {
		clear(m.keys)
	}
	m.keys[v] = k
	return k, m.table.add(partition{source: source}, &row)
}

func (m *memo[T]) forget() { clear(m.keys) }
