package ingest

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/spanlake/spanlake/ingest/mangle"
	"github.com/spanlake/spanlake/ingest/synth"
)

// runCarried ingests paths one file per run, carrying the open connections
// from run to run through a CarryStore and a Ledger, and ends with a
// finishing run; it returns everything the runs produced and how many
// connections were carried in all.
func runCarried(t *testing.T, paths []string, workers int, limits CarryOptions) (*collectSink, int) {
	t.Helper()
	state := t.TempDir()
	ledger, err := OpenLedger(state)
	if err != nil {
		t.Fatal(err)
	}
	store, err := OpenCarryStore(state)
	if err != nil {
		t.Fatal(err)
	}
	got := &collectSink{}
	carried := 0
	step := func(files []string, out bool) {
		in, err := store.Load(ledger)
		if err != nil {
			t.Fatal(err)
		}
		opts := limits
		opts.In, opts.Out = in, out
		sum, err := Run(context.Background(), files, Options{Workers: workers, Carry: &opts}, got)
		if err != nil {
			t.Fatal(err)
		}
		carried += len(sum.Carried)
		seq, err := store.Save(in, sum, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := ledger.Record(sum.Sources, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := store.Prune(seq); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range paths {
		step([]string{p}, true)
	}
	step(nil, false)
	return got, carried
}

// TestCarryOverSameAsOneRun: a capture damaged like a SPAN port delivers it
// (reordering across file boundaries, duplicates, overlapping
// retransmissions, keep-alive probes), rotated into files cut at random
// packets — mid-handshake, mid-header, mid-body — and ingested one file
// per run with carry-over gives exactly the exchanges and connection
// records (with their source files) of one run over all files.
func TestCarryOverSameAsOneRun(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name     string
		cfg      synth.Config
		parts    int
		minExchs int
	}{
		{"small", synth.Config{Shape: synth.Small, Seed: 11, TargetBytes: 3 << 20, Concurrency: 200}, 6, 1000},
		{"large", synth.Config{Shape: synth.Large, Seed: 12, TargetBytes: 24 << 20, Concurrency: 8}, 5, 15},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clean := filepath.Join(dir, tc.name+".pcap")
			if _, err := synth.WriteFile(clean, tc.cfg); err != nil {
				t.Fatal(err)
			}
			pkts, err := mangle.ReadPcap(clean)
			if err != nil {
				t.Fatal(err)
			}
			pkts, err = mangle.Apply(pkts, mangle.Options{Seed: 3, ReorderWindow: 6, Duplicate: 0.02, Resegment: 0.05, KeepAlive: 0.02})
			if err != nil {
				t.Fatal(err)
			}
			paths, err := mangle.WriteFiles(t.TempDir(), "rot.pcap", pkts, tc.parts, mangle.Format{}, 9)
			if err != nil {
				t.Fatal(err)
			}
			want := &collectSink{}
			if _, err := Run(context.Background(), paths, Options{Workers: 1}, want); err != nil {
				t.Fatal(err)
			}
			want.sorted()
			if len(want.exchanges) < tc.minExchs {
				t.Fatalf("only %d exchanges", len(want.exchanges))
			}
			for _, workers := range []int{1, 2} {
				got, carried := runCarried(t, paths, workers, CarryOptions{MaxConnBytes: DefaultCarryMaxConnBytes, MaxTotalBytes: DefaultCarryMaxTotalBytes})
				got.sorted()
				if carried < tc.parts-1 {
					t.Fatalf("workers=%d: only %d connections carried over %d boundaries", workers, carried, tc.parts-1)
				}
				compareCollected(t, workers, got, want)
			}
		})
	}
}

// compareCollected fails on the first exchange or connection that differs.
func compareCollected(t *testing.T, workers int, got, want *collectSink) {
	t.Helper()
	if len(got.exchanges) != len(want.exchanges) || len(got.conns) != len(want.conns) {
		t.Fatalf("workers=%d: %d exchanges, %d connections; one run: %d, %d", workers,
			len(got.exchanges), len(got.conns), len(want.exchanges), len(want.conns))
	}
	for i := range want.exchanges {
		if !reflect.DeepEqual(got.exchanges[i], want.exchanges[i]) {
			t.Fatalf("workers=%d: exchange %d differs:\n got %+v %s\nwant %+v %s", workers, i,
				got.exchanges[i].ex, got.exchanges[i].src, want.exchanges[i].ex, want.exchanges[i].src)
		}
	}
	for i := range want.conns {
		if !reflect.DeepEqual(got.conns[i], want.conns[i]) {
			t.Fatalf("workers=%d: connection %d differs:\n got %+v %s\nwant %+v %s", workers, i,
				got.conns[i].rec, got.conns[i].src, want.conns[i].rec, want.conns[i].src)
		}
	}
}

// TestCarryOverLimits: with a carry limit too small for any connection,
// nothing is carried, every open connection is closed at the end of its run
// and counted, and no checkpoint is written.
func TestCarryOverLimits(t *testing.T) {
	clean := filepath.Join(t.TempDir(), "c.pcap")
	if _, err := synth.WriteFile(clean, synth.Config{Shape: synth.Small, Seed: 13, TargetBytes: 1 << 20, Concurrency: 50}); err != nil {
		t.Fatal(err)
	}
	pkts, err := mangle.ReadPcap(clean)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := mangle.WriteFiles(t.TempDir(), "rot.pcap", pkts, 2, mangle.Format{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	sink := &collectSink{}
	sum, err := Run(context.Background(), paths[:1], Options{Workers: 1, Carry: &CarryOptions{Out: true, MaxConnBytes: 10, MaxTotalBytes: 10}}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Carried) != 0 || sum.CarryOverflow == 0 {
		t.Fatalf("carried %d, overflow %d; want 0 and > 0", len(sum.Carried), sum.CarryOverflow)
	}
	endOfInput := 0
	for _, c := range sink.conns {
		if c.rec.CloseReason == "end_of_input" {
			endOfInput++
		}
	}
	if endOfInput != sum.CarryOverflow {
		t.Errorf("%d connections closed at end of input, %d counted as too big to carry", endOfInput, sum.CarryOverflow)
	}
	store, err := OpenCarryStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if seq, err := store.Save(nil, sum, time.Now()); err != nil || seq != 0 {
		t.Fatalf("Save with nothing carried: seq %d, err %v", seq, err)
	}
}
