package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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

// Options configure a run.
type Options struct {
	Reassembly reassembly.Config
	HTTP       http1.Config
	Logger     *slog.Logger
	// Progress, when set, is called every few thousand packets and at the
	// end of every file.
	Progress func(Progress)
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
	Bytes           int64 // capture bytes read (after decompression)
	Decode          DecodeStats
	Connections     uint64
	Exchanges       uint64
	Elapsed         time.Duration
	Sources         []*SourceFile
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

	d := &driver{sink: sink, sum: &Summary{}}
	factory := func(info *reassembly.ConnInfo) reassembly.Handler {
		c := &connHandler{d: d}
		c.ConnParser = http1.NewConnParser(info, &httpCfg, c.exchange)
		return c
	}
	asm := reassembly.New(opts.Reassembly, factory)

	files := orderByFirstPacket(paths)
	var totalBytes, doneBytes int64
	for _, f := range files {
		if st, err := statSize(f.path); err == nil {
			totalBytes += st
		}
	}
	var pkt reassembly.Packet
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return d.sum, err
		}
		src := &SourceFile{Path: f.path, Name: baseName(f.path)}
		d.sum.Files++
		if f.err != nil {
			d.fail(log, src, f.err)
			if err := d.sourceDone(src); err != nil {
				return d.sum, err
			}
			continue
		}
		r, err := OpenPacketReader(f.path)
		if err != nil {
			d.fail(log, src, err)
			if err := d.sourceDone(src); err != nil {
				return d.sum, err
			}
			continue
		}
		src.Size, src.Container, src.Compression, src.LinkType = r.Size(), r.Container(), r.Compression(), r.LinkType().String()
		src.FirstPacket = f.first
		src.Key = sourceKey(f.path, src.Size, f.first)
		d.sources.add(src)
		log.Info("reading capture", "file", f.path, "size", src.Size, "container", src.Container, "compression", src.Compression)

		dec := NewDecoder()
		before := asm.Stats()
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
				asm.Add(&pkt)
				if d.err != nil {
					r.Close()
					return d.sum, d.err
				}
			}
			if dec.Stats.Packets&0xfff == 0 {
				if err := ctx.Err(); err != nil {
					r.Close()
					return d.sum, err
				}
				if opts.Progress != nil {
					opts.Progress(Progress{File: f.path, FileIndex: i, Files: len(files), Bytes: doneBytes + progressOffset(r),
						TotalBytes: totalBytes, Packets: d.sum.Decode.Packets + dec.Stats.Packets, Exchanges: d.sum.Exchanges})
				}
			}
		}
		src.Bytes = r.Offset()
		src.Decode = dec.Stats
		after := asm.Stats()
		src.AcksSeen = after.AcksSeen - before.AcksSeen
		src.AcksForUnseenData = after.AcksForUnseenData - before.AcksForUnseenData
		r.Close()
		d.sum.Bytes += src.Bytes
		d.sum.Decode.add(dec.Stats)
		doneBytes += src.Size
		if err := d.sourceDone(src); err != nil {
			return d.sum, err
		}
		if opts.Progress != nil {
			opts.Progress(Progress{File: f.path, FileIndex: i + 1, Files: len(files), Bytes: doneBytes, TotalBytes: totalBytes,
				Packets: d.sum.Decode.Packets, Exchanges: d.sum.Exchanges})
		}
	}
	asm.Flush()
	d.sum.Elapsed = time.Since(start)
	return d.sum, d.err
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
	sources sourceIndex
	err     error // first sink error; stops the run
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

func (d *driver) sourceDone(src *SourceFile) error {
	d.sum.Sources = append(d.sum.Sources, src)
	if err := d.sink.SourceDone(src); err != nil {
		return fmt.Errorf("record source %s: %w", src.Path, err)
	}
	return nil
}

// connHandler is the reassembly.Handler of one connection: the HTTP parser,
// plus the bookkeeping that hands its output to the sink.
type connHandler struct {
	*http1.ConnParser
	d         *driver
	exchanges int
}

func (c *connHandler) exchange(ex *http1.Exchange) {
	c.exchanges++
	c.d.sum.Exchanges++
	if c.d.err != nil {
		return
	}
	ts := exchangeStart(ex)
	if err := c.d.sink.Exchange(ex, c.d.sources.lookup(ts)); err != nil {
		c.d.err = fmt.Errorf("write exchange: %w", err)
	}
}

func (c *connHandler) Close(rec *reassembly.ConnRecord) {
	c.ConnParser.Close(rec)
	c.d.sum.Connections++
	if c.d.err != nil {
		return
	}
	if err := c.d.sink.Connection(rec, c.exchanges, c.d.sources.lookup(rec.Info.FirstSeen)); err != nil {
		c.d.err = fmt.Errorf("write connection: %w", err)
	}
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
