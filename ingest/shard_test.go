package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/ingest/synth"
	"github.com/spanlake/spanlake/reassembly"
)

// collectSink keeps everything a run produces, with sources by path.
type collectSink struct {
	exchanges []collectedExchange
	conns     []collectedConn
	done      []string
}

type collectedExchange struct {
	ex  *http1.Exchange
	src string
}

type collectedConn struct {
	rec       *reassembly.ConnRecord
	exchanges int
	src       string
}

func srcPath(s *SourceFile) string {
	if s == nil {
		return ""
	}
	return s.Path
}

func (c *collectSink) Exchange(ex *http1.Exchange, src *SourceFile) error {
	c.exchanges = append(c.exchanges, collectedExchange{ex, srcPath(src)})
	return nil
}

func (c *collectSink) Connection(rec *reassembly.ConnRecord, n int, src *SourceFile) error {
	c.conns = append(c.conns, collectedConn{rec, n, srcPath(src)})
	return nil
}

func (c *collectSink) SourceDone(src *SourceFile) error {
	c.done = append(c.done, src.Path)
	return nil
}

// sorted orders what was collected by connection id and depth (and VLAN),
// the order that does not depend on the number of workers. The sort is
// stable: copies of a connection on two VLANs share an id and a shard, so
// their relative arrival order is the same for any number of workers.
func (c *collectSink) sorted() *collectSink {
	sort.SliceStable(c.exchanges, func(i, j int) bool {
		a, b := c.exchanges[i].ex, c.exchanges[j].ex
		if a.ConnID != b.ConnID {
			return a.ConnID < b.ConnID
		}
		return a.Depth < b.Depth
	})
	sort.SliceStable(c.conns, func(i, j int) bool {
		a, b := c.conns[i].rec.Info, c.conns[j].rec.Info
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.VLAN < b.VLAN
	})
	return c
}

// splitCapture rewrites a pcap as n rotated files of about equal packet counts.
func splitCapture(t *testing.T, path, dir string, n int) []string {
	t.Helper()
	r, err := OpenPacketReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var bufs []bytes.Buffer
	var ws []*pcapgo.Writer
	for range n {
		bufs = append(bufs, bytes.Buffer{})
	}
	for i := range bufs {
		w := pcapgo.NewWriter(&bufs[i])
		w.WriteFileHeader(65535, layers.LinkTypeEthernet)
		ws = append(ws, w)
	}
	var all int
	for {
		data, ci, _, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		all++
		_ = ws[min(n-1, all/5000)].WritePacket(ci, data)
	}
	var paths []string
	for i := range bufs {
		p := filepath.Join(dir, fmt.Sprintf("rot.pcap%d", i))
		if err := os.WriteFile(p, bufs[i].Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestWorkersSameOutput runs the same captures with 1, 2 and 3 workers:
// the exchanges, connection records (with their source files) and source
// statistics must be the same, whatever order they arrived in.
func TestWorkersSameOutput(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.pcap")
	if _, err := synth.WriteFile(small, synth.Config{Shape: synth.Small, Seed: 3, TargetBytes: 6 << 20, Concurrency: 300}); err != nil {
		t.Fatal(err)
	}
	large := filepath.Join(dir, "large.pcap")
	if _, err := synth.WriteFile(large, synth.Config{Shape: synth.Large, Seed: 4, TargetBytes: 24 << 20}); err != nil {
		t.Fatal(err)
	}
	rotDir := filepath.Join(dir, "rot")
	os.Mkdir(rotDir, 0o755)
	rotated := splitCapture(t, small, rotDir, 3)
	// idle: connections cut off mid-stream, then ten minutes later a single
	// connection (on one shard only): the others must still idle out.
	late := filepath.Join(dir, "late.pcap")
	if _, err := synth.WriteFile(late, synth.Config{Shape: synth.Small, Seed: 5, TargetBytes: 20 << 10, Concurrency: 1,
		Start: time.Date(2026, 1, 2, 3, 20, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	sets := map[string][]string{
		"idle":    {rotated[0], late},
		"small":   {small},
		"large":   {large},
		"rotated": rotated,
		"nginx":   {"../testdata/captures/nginx-basic.pcap"},
		"nginx-rotated": {"../testdata/captures/nginx-rotated.pcap0", "../testdata/captures/nginx-rotated.pcap1",
			"../testdata/captures/nginx-rotated.pcap2", "../testdata/captures/nginx-rotated.pcap3", "../testdata/captures/nginx-rotated.pcap4"},
	}
	for name, paths := range sets {
		t.Run(name, func(t *testing.T) {
			var want *collectSink
			var wantSum *Summary
			for _, workers := range []int{1, 2, 3} {
				got := &collectSink{}
				sum, err := Run(context.Background(), paths, Options{Workers: workers}, got)
				if err != nil {
					t.Fatal(err)
				}
				got.sorted()
				if workers == 1 {
					if name == "idle" {
						idle := 0
						for _, c := range got.conns {
							if c.rec.CloseReason == "idle_timeout" {
								idle++
							}
						}
						if idle < 10 {
							t.Fatalf("idle: only %d idle timeouts", idle)
						}
					}
					want, wantSum = got, sum
					if len(got.exchanges) == 0 {
						t.Fatal("no exchanges")
					}
					continue
				}
				if len(got.exchanges) != len(want.exchanges) || len(got.conns) != len(want.conns) {
					t.Fatalf("workers=%d: %d exchanges, %d connections; one worker: %d, %d", workers,
						len(got.exchanges), len(got.conns), len(want.exchanges), len(want.conns))
				}
				for i := range want.exchanges {
					if !reflect.DeepEqual(got.exchanges[i], want.exchanges[i]) {
						t.Fatalf("workers=%d: exchange %d differs:\n got %+v\nwant %+v", workers, i, got.exchanges[i], want.exchanges[i])
					}
				}
				for i := range want.conns {
					if !reflect.DeepEqual(got.conns[i], want.conns[i]) {
						t.Fatalf("workers=%d: connection %d differs:\n got %+v\nwant %+v", workers, i, got.conns[i].rec, want.conns[i].rec)
					}
				}
				if !reflect.DeepEqual(got.done, want.done) {
					t.Errorf("workers=%d: SourceDone order %v, want %v", workers, got.done, want.done)
				}
				if sum.Exchanges != wantSum.Exchanges || sum.Connections != wantSum.Connections || sum.Decode != wantSum.Decode {
					t.Errorf("workers=%d: summary %+v, want %+v", workers, sum, wantSum)
				}
				for i := range wantSum.Sources {
					if !reflect.DeepEqual(sum.Sources[i], wantSum.Sources[i]) {
						t.Errorf("workers=%d: source %d\n got %+v\nwant %+v", workers, i, sum.Sources[i], wantSum.Sources[i])
					}
				}
			}
		})
	}
}

// prepSink is a collectSink that is also a Preparer whose results each
// hold prepBytes.
type prepSink struct {
	collectSink
	prepBytes int
	prepared  atomic.Int64
}

func (s *prepSink) Prepare(ex *http1.Exchange) (any, int) {
	s.prepared.Add(1)
	return ex.Depth, s.prepBytes
}

func (s *prepSink) ExchangePrepared(ex *http1.Exchange, prep any, src *SourceFile) error {
	if prep.(int) != ex.Depth {
		return fmt.Errorf("exchange %d got the preparation of %v", ex.Depth, prep)
	}
	return s.Exchange(ex, src)
}

// TestShardSendsPreparedBytesBounded: a shard sends its messages on once
// the prepared exchanges among them hold maxShardPrepBytes, whatever their
// count, so a stream of exchanges that each decode big (gzip bombs) cannot
// pile up in a shard.
func TestShardSendsPreparedBytesBounded(t *testing.T) {
	sink := &prepSink{prepBytes: 1 << 20}
	e := &shardedEngine{d: &driver{sink: sink}, prep: sink, out: make(chan []shardMsg, 100)}
	s := &shard{e: e}
	for i := range 10 {
		s.exchange(&http1.Exchange{Depth: i + 1}, nil)
	}
	s.flush()
	close(e.out)
	var sizes []int
	for msgs := range e.out {
		sizes = append(sizes, len(msgs))
	}
	if want := []int{4, 4, 2}; !reflect.DeepEqual(sizes, want) {
		t.Fatalf("sends of %v messages, want %v (4 MiB of prepared exchanges each)", sizes, want)
	}
}

// TestPreparerSameOutput: a Preparer sink gets every exchange with its own
// preparation, the same exchanges as a plain sink, with 1 and 3 workers.
func TestPreparerSameOutput(t *testing.T) {
	paths := []string{"../testdata/captures/nginx-basic.pcap"}
	plain := &collectSink{}
	if _, err := Run(context.Background(), paths, Options{Workers: 1}, plain); err != nil {
		t.Fatal(err)
	}
	plain.sorted()
	for _, workers := range []int{1, 3} {
		got := &prepSink{prepBytes: 100}
		if _, err := Run(context.Background(), paths, Options{Workers: workers}, got); err != nil {
			t.Fatal(err)
		}
		got.sorted()
		if workers > 1 && got.prepared.Load() != int64(len(got.exchanges)) {
			t.Errorf("workers=%d: %d exchanges prepared, %d received", workers, got.prepared.Load(), len(got.exchanges))
		}
		if !reflect.DeepEqual(got.exchanges, plain.exchanges) {
			t.Errorf("workers=%d: the Preparer sink got other exchanges than the plain one", workers)
		}
	}
}
