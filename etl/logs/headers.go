package logs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/parquet-go/parquet-go"
)

// HeaderTable is the directory of the http_header table under a warehouse.
const HeaderTable = "http_header"

// headerRow is the column contract of http_header: one row per header line
// of an exchange, partitioned like fact_http_exchange (date=/hour= of the
// request's first byte). Columns the file lacks read as zero values, so
// value_raw is optional: when present and non-null it holds the exact
// bytes of a value that is not valid UTF-8.
type headerRow struct {
	ExchangeID int64  `parquet:"exchange_id"`
	Direction  string `parquet:"direction"`
	Ordinal    int32  `parquet:"ordinal"`
	Name       string `parquet:"name"`
	Value      string `parquet:"value"`
	ValueRaw   []byte `parquet:"value_raw,optional"`
}

type exchangeHeaders struct {
	request, response []Header
	reqOrd, respOrd   []int32
}

// headerLoader loads http_header partitions on demand and keeps each in
// memory only while a fact file of the same partition is being read, so
// memory is bounded by the headers of the partitions open at once.
type headerLoader struct {
	dir   string // WAREHOUSE/http_header
	parts map[string]*headerPart
}

type headerPart struct {
	byExchange map[int64]*exchangeHeaders
	refs       int
}

// newHeaderLoader returns nil when the warehouse has no http_header table.
func newHeaderLoader(root string) (*headerLoader, error) {
	dir := filepath.Join(root, HeaderTable)
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot stat %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, nil
	}
	return &headerLoader{dir: dir, parts: map[string]*headerPart{}}, nil
}

// acquire returns the headers of the partition rel ("date=…/hour=…"),
// loading it on first use.
func (l *headerLoader) acquire(rel string) (map[int64]*exchangeHeaders, error) {
	if p, ok := l.parts[rel]; ok {
		p.refs++
		return p.byExchange, nil
	}
	m, err := loadHeaderDir(filepath.Join(l.dir, rel))
	if err != nil {
		return nil, err
	}
	l.parts[rel] = &headerPart{byExchange: m, refs: 1}
	return m, nil
}

func (l *headerLoader) release(rel string) {
	if p, ok := l.parts[rel]; ok {
		if p.refs--; p.refs <= 0 {
			delete(l.parts, rel)
		}
	}
}

// loadHeaderDir reads every Parquet file directly in dir (a missing
// directory has no headers) and groups the rows by exchange, each
// direction in ordinal order.
func loadHeaderDir(dir string) (map[int64]*exchangeHeaders, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[int64]*exchangeHeaders{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list %s: %w", dir, err)
	}
	m := map[int64]*exchangeHeaders{}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || name[0] == '.' || filepath.Ext(name) != ".parquet" {
			continue
		}
		if err := loadHeaderFile(filepath.Join(dir, name), m); err != nil {
			return nil, err
		}
	}
	for _, h := range m {
		sortHeaders(h.request, h.reqOrd)
		sortHeaders(h.response, h.respOrd)
		h.reqOrd, h.respOrd = nil, nil
	}
	return m, nil
}

func loadHeaderFile(path string, m map[int64]*exchangeHeaders) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return fmt.Errorf("cannot open %s: %w", path, err)
	}
	r := parquet.NewGenericReader[headerRow](pf)
	defer r.Close()
	buf := make([]headerRow, 1024)
	for {
		n, err := r.Read(buf)
		for i := range buf[:n] {
			row := &buf[i]
			h := m[row.ExchangeID]
			if h == nil {
				h = &exchangeHeaders{}
				m[row.ExchangeID] = h
			}
			v := row.Value
			if row.ValueRaw != nil {
				v = string(row.ValueRaw)
			}
			switch row.Direction {
			case "request":
				h.request = append(h.request, Header{Name: row.Name, Value: v})
				h.reqOrd = append(h.reqOrd, row.Ordinal)
			case "response":
				h.response = append(h.response, Header{Name: row.Name, Value: v})
				h.respOrd = append(h.respOrd, row.Ordinal)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", path, err)
		}
	}
}

type byOrdinal struct {
	hs  []Header
	ord []int32
}

func (b byOrdinal) Len() int           { return len(b.hs) }
func (b byOrdinal) Less(i, j int) bool { return b.ord[i] < b.ord[j] }
func (b byOrdinal) Swap(i, j int) {
	b.hs[i], b.hs[j] = b.hs[j], b.hs[i]
	b.ord[i], b.ord[j] = b.ord[j], b.ord[i]
}

func sortHeaders(hs []Header, ord []int32) { sort.Stable(byOrdinal{hs, ord}) }
