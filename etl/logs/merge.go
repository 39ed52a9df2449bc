package logs

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

// Selection chooses the exchanges of a log.
type Selection struct {
	// From (inclusive) and To (exclusive) bound the instant each line
	// stands for (see the package doc); zero means unbounded.
	From, To time.Time
	Filter   Filter
	ClientIP ClientIP
	// Headers loads every header line from the http_header table, when
	// the warehouse has one, into Record.RequestHeaders/ResponseHeaders.
	Headers bool
}

// partitionSlack is how long before a partition's hour an exchange may
// complete into the requested range: exchanges are partitioned by their
// first byte but selected by their last, so an exchange lasting longer
// than this that completes after --from is missed when its partition is
// pruned. It bounds pruning only; ordering needs no such assumption.
const partitionSlack = 24 * time.Hour

// readBatch is how many fact rows each open file buffers.
const readBatch = 512

// Exchanges iterates over the selected exchanges of a warehouse in log
// order: by LogTime, then connection id, then position in the connection.
//
// Fact files are each sorted by request time (their partition key), while
// log order is completion order. Exchanges merges the files by request
// time (a k-way merge; a file is opened only when the merge reaches its
// partition's hour, and closed at its end) and passes the merged stream
// through a reorder buffer keyed by LogTime. Because no exchange completes
// before it starts, once the merge has reached request time T no exchange
// still to come can complete before T, so every buffered exchange with
// LogTime < T is final and is emitted. The buffer therefore holds only the
// exchanges still in flight at T (started before T, completing after):
// memory is bounded by the traffic's concurrency, not by the time range,
// and no maximum exchange duration is assumed.
type Exchanges struct {
	sel     Selection
	uas     map[int64]string
	refs    map[int64]string
	headers *headerLoader

	pending []*cursor  // not yet opened, by partition start
	merge   cursorHeap // open files, by their next row's request time
	reorder recordHeap // selected exchanges not yet final
	mark    int64      // request time the merge has reached (µs)
	done    bool       // the merge is exhausted (or past To)
	out     Record
}

// OpenExchanges lists the fact files of the range and loads the
// dimensions; rows are read lazily by Next.
func OpenExchanges(root string, sel Selection) (*Exchanges, error) {
	keep := func(rel string) bool {
		start, end, ok := partitionStart(rel)
		if !ok {
			return true
		}
		if !sel.To.IsZero() && !start.Before(sel.To) {
			return false
		}
		if !sel.From.IsZero() && end.Add(partitionSlack).Before(sel.From) {
			return false
		}
		return true
	}
	table := filepath.Join(root, "fact_http_exchange")
	files, err := tableFiles(root, "fact_http_exchange", keep)
	if err != nil {
		return nil, fmt.Errorf("cannot list fact_http_exchange: %w", err)
	}
	e := &Exchanges{sel: sel, mark: -1 << 63}
	if e.uas, err = loadDim(root, "dim_user_agent", userAgentValue); err != nil {
		return nil, fmt.Errorf("cannot load dim_user_agent: %w", err)
	}
	if e.refs, err = loadDim(root, "dim_referrer", referrerValue); err != nil {
		return nil, fmt.Errorf("cannot load dim_referrer: %w", err)
	}
	if sel.Headers || sel.ClientIP.Source == ClientForwarded {
		if e.headers, err = newHeaderLoader(root); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		rel, _ := filepath.Rel(table, filepath.Dir(f))
		c := &cursor{path: f, rel: rel, start: -1 << 63}
		if start, _, ok := partitionStart(rel); ok {
			c.start = start.UnixMicro()
		}
		e.pending = append(e.pending, c)
	}
	sort.SliceStable(e.pending, func(i, j int) bool { return e.pending[i].start < e.pending[j].start })
	return e, nil
}

// Next returns the next exchange, or io.EOF after the last. The Record is
// owned by Exchanges and valid until the next call.
func (e *Exchanges) Next() (*Record, error) {
	for {
		if e.reorder.Len() > 0 && (e.done || e.reorder.items[0].key < e.mark) {
			r := heap.Pop(&e.reorder).(*buffered)
			e.out = r.rec
			return &e.out, nil
		}
		if e.done {
			return nil, io.EOF
		}
		if err := e.advance(); err != nil {
			return nil, err
		}
	}
}

// Close closes the open files.
func (e *Exchanges) Close() error {
	for _, c := range e.merge {
		c.close()
	}
	e.merge = nil
	e.done = true
	return nil
}

// advance moves the merge by one row, buffering it when selected.
func (e *Exchanges) advance() error {
	for len(e.pending) > 0 && (e.merge.Len() == 0 || e.pending[0].start <= e.merge[0].key()) {
		c := e.pending[0]
		e.pending = e.pending[1:]
		if err := c.open(e.headers); err != nil {
			return err
		}
		if c.ok() {
			heap.Push(&e.merge, c)
		} else {
			c.close()
		}
	}
	if e.merge.Len() == 0 {
		e.done = true
		return nil
	}
	c := e.merge[0]
	row := &c.rows[c.i]
	k := c.key()
	if k < e.mark {
		return fmt.Errorf("fact file %s is not sorted by request time (row %d)", c.path, c.row)
	}
	e.mark = k
	if !e.sel.To.IsZero() && k >= e.sel.To.UnixMicro() {
		// Nothing from here on completes before To.
		e.Close()
		return nil
	}
	if !row.RequestMissing { // a server logs requests; a response alone has no line
		e.consider(row, c)
	}
	if err := c.next(); err != nil {
		return err
	}
	if c.ok() {
		heap.Fix(&e.merge, 0)
	} else {
		heap.Pop(&e.merge)
		c.close()
	}
	return nil
}

func (e *Exchanges) consider(row *schema.FactHTTPExchange, c *cursor) {
	rec := record(row, e.uas, e.refs)
	t := rec.LogTime()
	if (!e.sel.From.IsZero() && t.Before(e.sel.From)) || (!e.sel.To.IsZero() && !t.Before(e.sel.To)) {
		return
	}
	if c.hdrs != nil {
		if h, ok := c.hdrs[row.ExchangeID]; ok {
			rec.RequestHeaders, rec.ResponseHeaders = h.request, h.response
		} else if len(c.hdrs) > 0 {
			rec.RequestHeaders, rec.ResponseHeaders = []Header{}, []Header{}
		}
	}
	if e.sel.ClientIP.Source != ClientPeer {
		rec.RemoteIP = e.sel.ClientIP.Resolve(&rec)
	}
	if !e.sel.Filter.Match(&rec) {
		return
	}
	key := t.UnixMicro()
	if key < e.mark {
		key = e.mark // completes before it starts: a clock oddity; keep order strict
	}
	heap.Push(&e.reorder, &buffered{key: key, rec: rec})
}

// mergeKey is the time fact files are sorted by (etl/warehouse.go).
func mergeKey(f *schema.FactHTTPExchange) int64 {
	if f.RequestTS != 0 {
		return f.RequestTS
	}
	return f.ResponseTS
}

// cursor reads one fact file in batches.
type cursor struct {
	path, rel string
	start     int64 // partition start (µs), or minimal
	f         *os.File
	r         *parquet.GenericReader[schema.FactHTTPExchange]
	rows      []schema.FactHTTPExchange
	i, n      int
	row       int64 // rows consumed, for error messages
	eof       bool
	headers   *headerLoader
	hdrs      map[int64]*exchangeHeaders
}

func (c *cursor) open(h *headerLoader) error {
	f, err := os.Open(c.path)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		f.Close()
		return fmt.Errorf("cannot open %s: %w", c.path, err)
	}
	c.f, c.r = f, parquet.NewGenericReader[schema.FactHTTPExchange](pf)
	c.rows = make([]schema.FactHTTPExchange, readBatch)
	if h != nil {
		if c.hdrs, err = h.acquire(c.rel); err != nil {
			c.close()
			return err
		}
		c.headers = h
	}
	return c.fill()
}

func (c *cursor) fill() error {
	c.i, c.n = 0, 0
	for c.n == 0 && !c.eof {
		clear(c.rows)
		n, err := c.r.Read(c.rows)
		c.n = n
		if errors.Is(err, io.EOF) {
			c.eof = true
		} else if err != nil {
			return fmt.Errorf("cannot read %s: %w", c.path, err)
		}
	}
	return nil
}

func (c *cursor) ok() bool   { return c.i < c.n }
func (c *cursor) key() int64 { return mergeKey(&c.rows[c.i]) }

func (c *cursor) next() error {
	c.i++
	c.row++
	if c.i < c.n {
		return nil
	}
	return c.fill()
}

func (c *cursor) close() {
	if c.r != nil {
		c.r.Close()
		c.r = nil
	}
	if c.f != nil {
		c.f.Close()
		c.f = nil
	}
	if c.headers != nil {
		c.headers.release(c.rel)
		c.headers, c.hdrs = nil, nil
	}
	c.rows = nil
	c.i, c.n = 0, 0
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	a, b := &h[i].rows[h[i].i], &h[j].rows[h[j].i]
	if ka, kb := mergeKey(a), mergeKey(b); ka != kb {
		return ka < kb
	}
	if a.ConnectionID != b.ConnectionID {
		return a.ConnectionID < b.ConnectionID
	}
	return a.TransDepth < b.TransDepth
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

type buffered struct {
	key int64 // LogTime in µs (never before the merge mark at insertion)
	rec Record
}

type recordHeap struct{ items []*buffered }

func (h *recordHeap) Len() int { return len(h.items) }
func (h *recordHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if a.key != b.key {
		return a.key < b.key
	}
	if a.rec.ConnectionID != b.rec.ConnectionID {
		return a.rec.ConnectionID < b.rec.ConnectionID
	}
	return a.rec.TransDepth < b.rec.TransDepth
}
func (h *recordHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *recordHeap) Push(x any)    { h.items = append(h.items, x.(*buffered)) }
func (h *recordHeap) Pop() any {
	old := h.items
	b := old[len(old)-1]
	old[len(old)-1] = nil
	h.items = old[:len(old)-1]
	return b
}
