package ingest

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// writeSizedCapture writes a pcap (compressed with comp) of n frames of
// the given sizes, in turn.
func writeSizedCapture(t *testing.T, path string, comp Compression, n int, sizes ...int) {
	t.Helper()
	frames, times := make([][]byte, n), make([]time.Time, n)
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range n {
		frames[i], times[i] = make([]byte, sizes[i%len(sizes)]), ts.Add(time.Duration(i)*time.Millisecond)
	}
	if err := os.WriteFile(path, encodeCapture(t, captureFormat{comp: comp}, frames, times), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestChooseWorkers: an explicit count is obeyed; left at 0 it is the
// number of CPUs, or one inline worker when the first capture's packets
// average inlineMeanPacketBytes or more.
func TestChooseWorkers(t *testing.T) {
	dir := t.TempDir()
	large := filepath.Join(dir, "large.pcap")   // responses: MTU segments and their ACKs
	small := filepath.Join(dir, "small.pcap")   // keep-alive API traffic
	few := filepath.Join(dir, "few.pcap")       // too few packets to say
	border := filepath.Join(dir, "border.pcap") // exactly the threshold
	writeSizedCapture(t, large, CompressionNone, 3000, 1514, 1514, 66)
	writeSizedCapture(t, small, CompressionNone, 3000, 400, 900, 66)
	jumbo := filepath.Join(dir, "jumbo.pcap") // offloaded segments: the sample stops at workerSampleBytes
	writeSizedCapture(t, jumbo, CompressionNone, 2*workerSampleBytes/30000, 30000, 66)
	packed := filepath.Join(dir, "large.pcap.gz") // compressed: not sampled
	writeSizedCapture(t, packed, CompressionGzip, 3000, 1514, 1514, 66)
	writeSizedCapture(t, few, CompressionNone, workerSampleMin-1, 1514)
	writeSizedCapture(t, border, CompressionNone, 1000, inlineMeanPacketBytes)
	fifo := filepath.Join(dir, "capture.fifo") // opening it would block: it must not be sampled
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// The jumbo sample ends with the packet that reaches workerSampleBytes.
	jumboTotal, jumboN := 0, 0
	for ; jumboTotal < workerSampleBytes; jumboN++ {
		jumboTotal += []int{30000, 66}[jumboN%2]
	}
	jumboMean := jumboTotal / jumboN
	cpus := runtime.NumCPU()
	inline := 1
	tests := []struct {
		name     string
		workers  int
		paths    []string
		want     int
		wantMean int
	}{
		{"explicit count, large packets", 3, []string{large}, 3, 0},
		{"explicit one, small packets", 1, []string{small}, 1, 0},
		{"large packets", 0, []string{large}, inline, (1514*2 + 66) / 3},
		{"threshold", 0, []string{border}, inline, inlineMeanPacketBytes},
		{"small packets", 0, []string{small}, cpus, (400 + 900 + 66) / 3},
		{"offloaded segments", 0, []string{jumbo}, inline, jumboMean},
		{"compressed", 0, []string{packed}, cpus, 0},
		{"named pipe", 0, []string{fifo}, cpus, 0},
		{"first capture decides", 0, []string{small, large}, cpus, (400 + 900 + 66) / 3},
		{"too few packets", 0, []string{few}, cpus, 0},
		{"unreadable", 0, []string{filepath.Join(dir, "missing.pcap"), large}, cpus, 0},
		{"no captures", 0, nil, cpus, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if cpus == 1 {
				tc.want = max(tc.want, 1)
				if tc.workers == 0 {
					tc.want, tc.wantMean = 1, 0 // one CPU: nothing to choose
				}
			}
			got, mean := chooseWorkers(tc.workers, tc.paths)
			if got != tc.want || mean != tc.wantMean {
				t.Errorf("chooseWorkers(%d) = %d workers (mean %d bytes), want %d (mean %d)", tc.workers, got, mean, tc.want, tc.wantMean)
			}
		})
	}
}
