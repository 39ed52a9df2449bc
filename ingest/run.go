package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/reassembly"
)

// Sink receives what a run produces. Calls are sequential. An error from
// the sink is operational (e.g. the disk is full) and stops the run.
type Sink interface {
	// Exchange receives one HTTP exchange and the capture file holding its
	// first byte. The sink owns ex.
	Exchange(ex *http1.Exchange, src *SourceFile) error
	// Connection receives one finished TCP connection, the number of HTTP
	// exchanges it carried, and the capture file of its first packet.
	Connection(rec *reassembly.ConnRecord, exchanges int, src *SourceFile) error
	// SourceDone is called when a capture file has been read (to its end or
	// to the damage that stopped it).
	SourceDone(src *SourceFile) error
}

// Preparer is a Sink that does part of its per-exchange work ahead, on the
// goroutine that parsed the exchange (one of the shards when Workers > 1),
// in parallel with the other shards and with the sink. Prepare must be
// safe for concurrent use and depend on nothing but ex; what it returns
// reaches ExchangePrepared with ex, in the order Exchange calls would have
// come, so the sink's output is the same either way. Prepare also says
// how many bytes its result holds beyond ex (decoded bodies): a shard
// hands its results on before they add up to maxShardPrepBytes.
type Preparer interface {
	Sink
	Prepare(ex *http1.Exchange) (prep any, bytes int)
	ExchangePrepared(ex *http1.Exchange, prep any, src *SourceFile) error
}

// Options configure a run.
type Options struct {
	Reassembly reassembly.Config
	HTTP       http1.Config
	Logger     *slog.Logger
	// Progress, when set, is called every few thousand packets and at the
	// end of every file.
	Progress func(Progress)
	// Workers is the number of shards connections are spread over (by a
	// hash of their endpoints); 0 chooses (workers.go): runtime.NumCPU(),
	// or one inline worker when the first capture's packets are large.
	Workers int
	// Carry, when set, replays the previous run's checkpoint first and/or
	// carries this run's open connections over to the next (carry.go).
	Carry *CarryOptions
}

// Progress is a snapshot for progress displays.
type Progress struct {
	File               string
	FileIndex, Files   int
	Bytes, TotalBytes  int64 // on-disk bytes of finished files plus the current offset estimate
	Packets, Exchanges uint64
}

// Summary totals a run.
type Summary struct {
	Files, BadFiles int
	Workers         int   // the workers the run used (Options.Workers, or the choice for 0)
	Bytes           int64 // capture bytes read (after decompression)
	Decode          DecodeStats
	Connections     uint64
	Exchanges       uint64
	// GapBytes and Gaps total the bytes lost to capture gaps and the gap
	// events, over both directions of every connection; Anomalies counts
	// the anomaly codes recorded on exchanges and connections.
	GapBytes, Gaps, Anomalies uint64
	Elapsed                   time.Duration
	Sources                   []*SourceFile
	// Carried are the connections detached for the next run, ordered by
	// first packet (with CarryOptions.Out); CarryOverflow counts open
	// connections too big to carry, closed instead.
	Carried       []CarriedConn
	CarryOverflow int
}

// Run ingests the capture files at paths (already expanded) in packet-time
// order as one continuous stream, so connections crossing from one rotated
// file into the next stay one connection. Damaged files are reported in
// their SourceFile and counted in Summary.BadFiles; the run goes on. The
// returned error is operational (sink failure, cancellation).
func Run(ctx context.Context, paths []string, opts Options, sink Sink) (*Summary, error) {
	start := time.Now()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts.Reassembly.EnsureDefaults()
	if err := opts.Reassembly.Validate(); err != nil {
		return nil, fmt.Errorf("reassembly options: %w", err)
	}
	httpCfg := opts.HTTP
	httpCfg.EnsureDefaults()

	workers, mean := chooseWorkers(opts.Workers, paths)
	if mean > 0 {
		log.Debug("workers chosen", "workers", workers, "mean_packet_bytes", mean)
	}
	d := &driver{sink: sink, sum: &Summary{Workers: workers}, carry: opts.Carry}
	var eng engine
	if workers == 1 {
		eng = newInlineEngine(d, opts.Reassembly, &httpCfg)
	} else {
		eng = newShardedEngine(d, workers, opts.Reassembly, &httpCfg)
	}
	err := d.readAll(ctx, paths, opts, log, eng)
	if err != nil {
		eng.abort()
	} else {
		err = eng.finish()
	}
	d.sum.Exchanges, d.sum.Connections = d.exchanges.Load(), d.connections
	d.sum.Elapsed = time.Since(start)
	return d.sum, err
}

// engine is what runs behind the decoder: reassembly, HTTP parsing and the
// sink calls, inline (one worker) or sharded over goroutines.
type engine interface {
	// beginFile is called after src was opened and indexed, before its
	// first packet.
	beginFile(src *SourceFile)
	// add processes one decoded segment; its payload is borrowed. A non-nil
	// error (a sink failure) stops the run.
	add(pkt *reassembly.Packet) error
	// endFile is called when src has been read (or failed to open); the
	// engine calls Sink.SourceDone for it once every packet before has
	// been processed.
	endFile(src *SourceFile) error
	// finish flushes the reassemblers and waits for the sink calls.
	finish() error
	// abort stops without flushing (cancellation, sink failure).
	abort()
}

// readAll reads the files in packet-time order and feeds the engine.
func (d *driver) readAll(ctx context.Context, paths []string, opts Options, log *slog.Logger, eng engine) error {
	files := orderByFirstPacket(paths)
	var totalBytes, doneBytes int64
	for _, f := range files {
		if st, err := statSize(f.path); err == nil {
			totalBytes += st
		}
	}
	var pkt reassembly.Packet
	if d.carry != nil && d.carry.In != nil {
		if err := d.replayCarry(ctx, d.carry.In, log, eng, &pkt); err != nil {
			return err
		}
	}
	// The next file is opened while the current one is read: a gzip'd
	// file starts decompressing then (spool.go), on the other core.
	var next opened
	defer func() { next.close() }()
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		src := &SourceFile{Path: f.path, Name: baseName(f.path)}
		d.sum.Files++
		if f.err != nil {
			d.fail(log, src, f.err)
			d.sum.Sources = append(d.sum.Sources, src)
			if err := eng.endFile(src); err != nil {
				return err
			}
			continue
		}
		cur := next
		if cur.path != f.path {
			cur.close()
			cur = openNow(f.path, false)
		}
		next = opened{}
		if i+1 < len(files) && files[i+1].err == nil {
			next = openNow(files[i+1].path, true)
		}
		r, err := cur.r, cur.err
		if err != nil {
			d.fail(log, src, err)
			d.sum.Sources = append(d.sum.Sources, src)
			if err := eng.endFile(src); err != nil {
				return err
			}
			continue
		}
		src.Size, src.Container, src.Compression, src.LinkType = r.Size(), r.Container(), r.Compression(), r.LinkType().String()
		src.FirstPacket = f.first
		src.Key = sourceKey(f.path, src.Size, f.first)
		d.sources.add(src)
		log.Info("reading capture", "file", f.path, "size", src.Size, "container", src.Container, "compression", src.Compression)

		dec := NewDecoder()
		eng.beginFile(src)
		for {
			data, ci, link, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				d.fail(log, src, err)
				break
			}
			src.LastPacket = ci.Timestamp
			if dec.Decode(data, ci, link, &pkt) {
				if err := eng.add(&pkt); err != nil {
					r.Close()
					return err
				}
			}
			if dec.Stats.Packets&0xfff == 0 {
				if err := ctx.Err(); err != nil {
					r.Close()
					return err
				}
				if opts.Progress != nil {
					opts.Progress(Progress{File: f.path, FileIndex: i, Files: len(files), Bytes: doneBytes + progressOffset(r),
						TotalBytes: totalBytes, Packets: d.sum.Decode.Packets + dec.Stats.Packets, Exchanges: d.exchanges.Load()})
				}
			}
		}
		src.Bytes = r.Offset()
		src.Decode = dec.Stats
		if h, err := r.ContentHash(); err == nil {
			src.ContentHash = h
		}
		r.Close()
		d.sum.Bytes += src.Bytes
		d.sum.Decode.add(dec.Stats)
		doneBytes += src.Size
		d.sum.Sources = append(d.sum.Sources, src)
		if err := eng.endFile(src); err != nil {
			return err
		}
		if opts.Progress != nil {
			opts.Progress(Progress{File: f.path, FileIndex: i + 1, Files: len(files), Bytes: doneBytes, TotalBytes: totalBytes,
				Packets: d.sum.Decode.Packets, Exchanges: d.exchanges.Load()})
		}
	}
	return nil
}

// opened is a capture file opened for reading (the current one, or the
// next one, opened ahead of its turn), or why it could not be.
type opened struct {
	path string
	r    *PacketReader
	err  error
}

// openNow opens path; ahead is for a file opened before its turn.
func openNow(path string, ahead bool) opened {
	r, err := openPacketReader(path, ahead)
	return opened{path: path, r: r, err: err}
}

func (o *opened) close() {
	if o.r != nil {
		o.r.Close()
		o.r = nil
	}
}

// progressOffset estimates on-disk progress in the current file; for
// compressed files the decompressed offset overstates it, so it is capped.
func progressOffset(r *PacketReader) int64 {
	if off := r.Offset(); off < r.Size() {
		return off
	}
	return r.Size()
}

// driver carries the state shared by the per-connection handlers.
type driver struct {
	sink    Sink
	sum     *Summary
	sources sourceIndex // appended to by the reading goroutine only
	// exchanges and connections are counted where the sink is called;
	// exchanges is atomic because progress reports read it while reading.
	exchanges   atomic.Uint64
	connections uint64
	carry       *CarryOptions // nil without carry-over
}

// countExchange and countConnection total what reaches the sink.
func (d *driver) countExchange(ex *http1.Exchange) {
	d.exchanges.Add(1)
	d.sum.Anomalies += uint64(len(ex.Anomalies))
}

func (d *driver) countConnection(rec *reassembly.ConnRecord) {
	d.connections++
	d.sum.Anomalies += uint64(len(rec.Anomalies))
	for dir := range rec.MissedBytes {
		d.sum.GapBytes += rec.MissedBytes[dir]
		d.sum.Gaps += rec.Gaps[dir]
	}
}

// carriedWritten is the number of exchanges of connection id that an
// earlier run wrote (0 unless it was carried over).
func (d *driver) carriedWritten(id uint64) int {
	if d.carry == nil || d.carry.In == nil {
		return 0
	}
	return d.carry.In.Written[id]
}

func (d *driver) fail(log *slog.Logger, src *SourceFile, err error) {
	d.sum.BadFiles++
	if src.Key == 0 { // never opened: identify it by name and size alone
		src.Size, _ = statSize(src.Path)
		src.Key = sourceKey(src.Path, src.Size, time.Time{})
	}
	src.Err = err.Error()
	var ce *CaptureError
	if errors.As(err, &ce) {
		src.ErrOffset = ce.Offset
	}
	log.Error("bad capture file", "file", src.Path, "offset", src.ErrOffset, "err", err)
}

// exchangeStart is the instant an exchange is filed under: its request's
// first byte, or its response's when no request was seen.
func exchangeStart(ex *http1.Exchange) time.Time {
	if ex.Request != nil {
		return ex.Request.FirstByte
	}
	if ex.Response != nil {
		return ex.Response.FirstByte
	}
	return time.Time{}
}
