package ingest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/spanlake/spanlake/ingest/mangle"
	"github.com/spanlake/spanlake/ingest/synth"
)

// TestSummaryCountsGapsAndAnomalies: the run summary's gap and anomaly
// totals are those of the records the sink received, with 1 or 2 workers,
// on a capture that lost segments.
func TestSummaryCountsGapsAndAnomalies(t *testing.T) {
	clean := filepath.Join(t.TempDir(), "c.pcap")
	if _, err := synth.WriteFile(clean, synth.Config{Shape: synth.Small, Seed: 21, TargetBytes: 1 << 20, Concurrency: 40}); err != nil {
		t.Fatal(err)
	}
	pkts, err := mangle.ReadPcap(clean)
	if err != nil {
		t.Fatal(err)
	}
	pkts, err = mangle.Apply(pkts, mangle.Options{Seed: 2, Drop: 0.01, ReorderWindow: 4})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := mangle.WriteFiles(t.TempDir(), "lossy.pcap", pkts, 1, mangle.Format{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		sink := &collectSink{}
		sum, err := Run(context.Background(), paths, Options{Workers: workers}, sink)
		if err != nil {
			t.Fatal(err)
		}
		var gaps, gapBytes, anomalies uint64
		for _, c := range sink.conns {
			anomalies += uint64(len(c.rec.Anomalies))
			for d := range c.rec.Gaps {
				gaps += c.rec.Gaps[d]
				gapBytes += c.rec.MissedBytes[d]
			}
		}
		for _, e := range sink.exchanges {
			anomalies += uint64(len(e.ex.Anomalies))
		}
		if gapBytes == 0 || anomalies == 0 {
			t.Fatalf("workers=%d: the lossy capture gave no gaps (%d) or no anomalies (%d)", workers, gapBytes, anomalies)
		}
		if sum.Gaps != gaps || sum.GapBytes != gapBytes || sum.Anomalies != anomalies {
			t.Errorf("workers=%d: summary gaps %d/%d B, anomalies %d; records say %d/%d B, %d",
				workers, sum.Gaps, sum.GapBytes, sum.Anomalies, gaps, gapBytes, anomalies)
		}
	}
}
