package etl

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spanlake/spanlake/etl/atomicfile"
	"github.com/spanlake/spanlake/ingest"
	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/reassembly"
	"github.com/spanlake/spanlake/schema"
)

// MetaDir is the warehouse's own directory (schema version, later the
// ledger and carried-over state). Its leading underscore keeps engines from
// reading it as a table.
const MetaDir = "_spanlake"

// Warehouse writes the tables of one ingest run. It implements ingest.Sink;
// nothing is visible to readers until Commit.
type Warehouse struct {
	root      string
	log       *slog.Logger
	exchanges *factTable[schema.FactHTTPExchange]
	conns     *factTable[schema.FactTCPConnection]
	headers   *factTable[headerBlock] // http_header, one block per exchange
	bodies    *factTable[schema.HTTPBody]
	params    *factTable[schema.HTTPParam]
	mem       *memBudget // bounds the rows the fact tables buffer (budget.go)
	detailMem *memBudget // the same for the detail tables (detail_stage.go)
	details   detailStage
	dims      map[uint64]*dimSet // per capture file: its dates and the caches of its members
	dimTables *dimTables         // the members themselves (dim_tables.go)
	sources   []*ingest.SourceFile
	Rows      map[string]int64 // rows written per table, for the run summary
	privacy   *Privacy
	files     *fileTracker
}

// OpenWarehouse prepares a run that writes into root, creating it if needed.
func OpenWarehouse(root string, log *slog.Logger) (*Warehouse, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Join(root, MetaDir), 0o750); err != nil {
		return nil, fmt.Errorf("create warehouse %s: %w", root, err)
	}
	// Temporary files left by a run that was killed are garbage: the
	// caller holds the warehouse lock, so no other run is writing them.
	if err := atomicfile.RemoveTemps(root); err != nil {
		return nil, err
	}
	w := &Warehouse{
		root: root, log: log, dims: map[uint64]*dimSet{}, Rows: map[string]int64{},
		exchanges: newFactTable(filepath.Join(root, "fact_http_exchange"), func(r *schema.FactHTTPExchange) int64 {
			if r.RequestTS != 0 {
				return r.RequestTS
			}
			return r.ResponseTS
		}).withTieBreak(func(r *schema.FactHTTPExchange) int64 { return r.ExchangeID }),
		conns: newFactTable(filepath.Join(root, "fact_tcp_connection"), func(r *schema.FactTCPConnection) int64 { return r.FirstTS }).
			withTieBreak(func(r *schema.FactTCPConnection) int64 { return r.ConnectionID }),
		// Detail rows sort like their exchange; the sort is stable, so
		// the rows of one exchange keep their wire order.
		headers: withRowBlocks(newFactTable(filepath.Join(root, "http_header"), func(b *headerBlock) int64 { return b.RequestTS }).
			withTieBreak(func(b *headerBlock) int64 { return b.ExchangeID }), expandHeaderBlock),
		bodies: newFactTable(filepath.Join(root, "http_body"), func(r *schema.HTTPBody) int64 { return r.RequestTS }).
			withTieBreak(func(r *schema.HTTPBody) int64 { return r.ExchangeID }).withMaxFileBytes(maxBodyFileBytes),
		params: newFactTable(filepath.Join(root, "http_param"), func(r *schema.HTTPParam) int64 { return r.RequestTS }).
			withTieBreak(func(r *schema.HTTPParam) int64 { return r.ExchangeID }),
		files: &fileTracker{},
	}
	w.dimTables = newDimTables(root, w.files)
	w.exchanges.files, w.conns.files, w.headers.files, w.bodies.files, w.params.files = w.files, w.files, w.files, w.files, w.files
	w.initMemory()
	return w, nil
}

// Rollback removes the files this run created, after a failed Commit (a
// full disk, say), so readers see the warehouse as it was before the run,
// and the spill runs it still holds.
func (w *Warehouse) Rollback() error {
	w.details.finish() // its error is the run's, already reported
	spillErr := errors.Join(w.mem.removeRuns(), w.detailMem.removeRuns())
	if err := w.files.rollback(); err != nil {
		return err
	}
	return spillErr
}

var _ ingest.Sink = (*Warehouse)(nil)

func (w *Warehouse) dimsOf(source uint64) *dimSet {
	d := w.dims[source]
	if d == nil {
		d = newDimSet(source, w.dimTables)
		w.dims[source] = d
	}
	return d
}

func sourceKeyOf(src *ingest.SourceFile) uint64 {
	if src == nil {
		return 0
	}
	return src.Key
}

// SetPrivacy sets what is kept of credentials and secret parameters; a
// Warehouse without it keeps everything.
func (w *Warehouse) SetPrivacy(p Privacy) { w.privacy = &p }

// Exchange implements ingest.Sink.
func (w *Warehouse) Exchange(ex *http1.Exchange, src *ingest.SourceFile) error {
	d := w.prepare(ex)
	return w.exchangePrepared(ex, &d, src)
}

// Prepare implements ingest.Preparer: the exchange's detail rows (header
// block, decoded bodies, parameters), redacted. It depends on nothing but
// ex and the privacy policy, so ingest runs it on the goroutine that
// parsed the exchange, in parallel with the other shards and the sink:
// body decoding and the detail rows were a third of the sink's work, all
// of it serial.
func (w *Warehouse) Prepare(ex *http1.Exchange) (any, int) {
	d := w.prepare(ex)
	n := 0
	for _, b := range d.bodies {
		n += len(b.Body)
	}
	return &d, n
}

// prepare builds and redacts ex's detail rows.
func (w *Warehouse) prepare(ex *http1.Exchange) detailRows {
	d := exchangeDetail(ex)
	w.privacy.redactDetail(&d)
	return d
}

// ExchangePrepared implements ingest.Preparer; prep is what Prepare
// returned for ex.
func (w *Warehouse) ExchangePrepared(ex *http1.Exchange, prep any, src *ingest.SourceFile) error {
	return w.exchangePrepared(ex, prep.(*detailRows), src)
}

// exchangePrepared writes ex's fact row and hands its detail rows on.
func (w *Warehouse) exchangePrepared(ex *http1.Exchange, detail *detailRows, src *ingest.SourceFile) error {
	key := sourceKeyOf(src)
	if len(detail.anomalies) > 0 {
		withAnomalies := *ex
		withAnomalies.Anomalies = append(slices.Clip(ex.Anomalies), detail.anomalies...)
		ex = &withAnomalies
	}
	dims := w.dimsOf(storageKeyOf(src))
	row := exchangeRow(ex, int64(key), dims)
	if dims.err != nil {
		return dims.err
	}
	w.privacy.redactFact(&row)
	part := partitionOf(storageKeyOf(src), exchangeTime(ex))
	if err := w.exchanges.add(part, &row); err != nil {
		return err
	}
	return w.details.add(part, *detail)
}

// Connection implements ingest.Sink.
func (w *Warehouse) Connection(rec *reassembly.ConnRecord, exchanges int, src *ingest.SourceFile) error {
	key := sourceKeyOf(src)
	dims := w.dimsOf(storageKeyOf(src))
	row := connectionRow(rec, exchanges, int64(key), dims)
	if dims.err != nil {
		return dims.err
	}
	return w.conns.add(partitionOf(storageKeyOf(src), rec.Info.FirstSeen.UTC()), &row)
}

// SourceDone implements ingest.Sink.
func (w *Warehouse) SourceDone(src *ingest.SourceFile) error {
	w.sources = append(w.sources, src)
	d := w.dimsOf(src.Key)
	// Its members are in the tables; rows of exchanges that started in
	// it and end later find them again or add a duplicate the table drops.
	d.forget()
	return d.err
}

// Commit writes everything buffered: the fact partitions, the dimension
// members of every capture file of the run, dim_time and dim_source_file;
// then removes the files an earlier run wrote for these captures that this
// run did not write again (so a re-ingest replaces, never adds).
func (w *Warehouse) Commit() error {
	if err := w.details.finish(); err != nil {
		return err
	}
	for _, m := range w.budgets() {
		if err := m.prepareCommit(); err != nil {
			return err
		}
	}
	// The detail tables (most of the rows) are written on a goroutine of
	// their own while this one writes the facts and dimensions: they share
	// nothing but the file tracker, and each table's files are the same
	// whoever writes them. Costs one more Parquet writer in memory.
	facts := append([]namedTable{{"fact_http_exchange", w.exchanges}, {"fact_tcp_connection", w.conns}}, w.dimTables.all()...)
	details := []namedTable{{"http_header", w.headers}, {"http_body", w.bodies}, {"http_param", w.params}}
	var detailErr error
	detailsDone := make(chan struct{})
	go func() {
		defer close(detailsDone)
		detailErr = flushTables(details)
	}()
	factErr := flushTables(facts)
	<-detailsDone
	if err := errors.Join(factErr, detailErr); err != nil {
		return err
	}
	written := map[string]bool{}
	for _, t := range append(facts, details...) {
		for rel := range t.table.writtenFiles() {
			written[filepath.Join(t.name, rel)] = true
		}
		w.Rows[t.name] = t.table.rowsWritten()
	}
	keys := make([]uint64, 0, len(w.dims))
	for k := range w.dims {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		dates := sortedDates(w.dims[k].dates)
		name := partFileName(k, 0)
		if err := w.files.write(filepath.Join(w.root, "dim_date"), name, func(wr io.Writer) error { return writeParquet(wr, dates) }); err != nil {
			return err
		}
		written[filepath.Join("dim_date", name)] = true
		w.Rows["dim_date"] += int64(len(dates))
	}
	for _, src := range w.sources {
		name := partFileName(src.Key, 0)
		row := []schema.DimSourceFile{sourceFileRow(src)}
		if err := w.files.write(filepath.Join(w.root, "dim_source_file"), name, func(wr io.Writer) error { return writeParquet(wr, row) }); err != nil {
			return err
		}
		written[filepath.Join("dim_source_file", name)] = true
		w.Rows["dim_source_file"]++
	}
	if err := w.files.write(filepath.Join(w.root, "dim_time"), "part-all.parquet", func(wr io.Writer) error { return writeParquet(wr, timeRows()) }); err != nil {
		return err
	}
	w.Rows["dim_time"] = 1440
	if err := writeAtomic(filepath.Join(w.root, MetaDir), "schema_version", func(wr io.Writer) error {
		_, err := io.WriteString(wr, strconv.Itoa(schema.Version)+"\n")
		return err
	}); err != nil {
		return err
	}
	return w.removeStale(keys, written)
}

// flushTables writes the tables in order, stopping at the first error.
func flushTables(tables []namedTable) error {
	for _, t := range tables {
		if err := t.table.flushAll(); err != nil {
			return err
		}
	}
	return nil
}

// removeStale deletes part files of the given captures that this run did
// not write.
func (w *Warehouse) removeStale(sources []uint64, written map[string]bool) error {
	prefixes := make([]string, len(sources))
	for i, k := range sources {
		prefixes[i] = fmt.Sprintf("part-%016x-", k)
	}
	for _, t := range schema.Tables() {
		dir := filepath.Join(w.root, t.Dir())
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			for _, pre := range prefixes {
				if strings.HasPrefix(d.Name(), pre) {
					rel, _ := filepath.Rel(w.root, p)
					if !written[rel] {
						w.log.Info("removing file replaced by this run", "file", rel)
						return os.Remove(p)
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("remove replaced files in %s: %w", dir, err)
		}
	}
	return nil
}

func sortedDates(m map[int32]schema.DimDate) []schema.DimDate {
	out := make([]schema.DimDate, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DateKey < out[j].DateKey })
	return out
}

func sourceFileRow(s *ingest.SourceFile) schema.DimSourceFile {
	r := schema.DimSourceFile{
		SourceFileKey: int64(s.Key), Name: s.Name, Path: s.Path, SizeBytes: s.Size,
		Container: string(s.Container), Compression: string(s.Compression), LinkType: s.LinkType,
		FirstPacketTS: micros(s.FirstPacket), LastPacketTS: micros(s.LastPacket), CaptureBytes: s.Bytes,
		Packets: int64(s.Decode.Packets), TCPPackets: int64(s.Decode.TCP), NonTCPPackets: int64(s.Decode.NonTCP),
		Fragments: int64(s.Decode.Fragments), Undecodable: int64(s.Decode.Undecodable), UnsupportedLink: int64(s.Decode.UnsupportedLink),
		TruncatedPackets: int64(s.Decode.Truncated), AcksSeen: int64(s.AcksSeen), AcksForUnseenData: int64(s.AcksForUnseenData),
		Error: s.Err, ErrorOffset: s.ErrOffset,
		TunnelledPackets: int64(s.Decode.Tunnelled), EncapErrors: int64(s.Decode.EncapErrors),
		DatagramsReassembled: int64(s.Decode.Reassembled), FragmentsDropped: int64(s.Decode.FragmentsDropped),
	}
	if s.ContentHash != 0 {
		r.ContentXXH64 = fmt.Sprintf("%016x", s.ContentHash)
	}
	if s.AcksSeen > 0 {
		r.CaptureLossPct = 100 * float64(s.AcksForUnseenData) / float64(s.AcksSeen)
	}
	return r
}
