package etl

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/spanlake/spanlake/ingest"
	"github.com/spanlake/spanlake/ingest/synth"
)

// BenchmarkWarehouseSmall is a whole run in one process: a 32 MB capture
// of the small shape (keep-alive API traffic, ~22,000 exchanges) read,
// reassembled, parsed and committed to a new warehouse with the defaults
// of `spanlake ingest --workers 1`. It is the end-to-end number of
// spanlake-bench without the process around it, so that `benchstat` can
// tell a 2 % change from noise, which single runs of the binary cannot.
func BenchmarkWarehouseSmall(b *testing.B) {
	capture := filepath.Join(b.TempDir(), "small.pcap")
	st, err := synth.WriteFile(capture, synth.Config{Shape: synth.Small, Seed: 1, TargetBytes: 32 << 20})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Bytes)
	b.ReportAllocs()
	var exchanges uint64
	for b.Loop() {
		w, err := OpenWarehouse(b.TempDir(), nil)
		if err != nil {
			b.Fatal(err)
		}
		w.SetPrivacy(Privacy{Key: []byte("0123456789abcdef0123456789abcdef"), SecretNames: DefaultSecretNames()})
		w.SetMemoryBudget(DefaultMemoryBudget)
		sum, err := ingest.Run(context.Background(), []string{capture}, ingest.Options{Workers: 1}, w)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
		exchanges += sum.Exchanges
	}
	b.ReportMetric(float64(exchanges)/b.Elapsed().Seconds(), "exchanges/s")
}
