package ingest

import (
	"os"
	"runtime"
)

// How many workers a run uses when Options.Workers is 0 (the default of
// `spanlake ingest`): the number of CPUs, except for uncompressed captures
// of large packets, which run on one inline worker.
//
// Why: sharding pays when reassembly and HTTP parsing are the work, as on
// keep-alive API traffic (small shape: 54,000 exchanges/s with 2 workers
// against 46,000 with one, BENCHMARKS.md). On captures of large responses
// the work is reading, hashing and decoding the file, which the shards do
// not share; what sharding adds there is a copy of every payload into the
// shards' batches and the hand-over between goroutines, and one inline
// worker is faster (2 CPUs: real nginx capture, 889 MB, 0.42 s against
// 0.49 s; synthetic large, 383 MB, 0.18 s against 0.21 s).
//
// The mean captured size of the first packets of the first capture tells
// the two apart. Over its first 16,384 packets: 1,200 bytes on the real
// captures, 1,016 on the synthetic large one (whose start is connection
// set-ups: 991 over 4,096), 638 on the small shape, 13,800 with
// segmentation offloads on. A compressed first capture is not sampled
// (decompressing 8 MiB would cost more than the choice gains; its run is
// paced by decompression anyway) and keeps one worker per CPU. The output
// is the same whatever the choice (TestWorkersSameWarehouse); an explicit
// --workers is always obeyed.

// inlineMeanPacketBytes is the mean captured length of the sampled
// packets from which a run goes inline.
const inlineMeanPacketBytes = 850

// The sample: the first workerSamplePackets packets or workerSampleBytes
// of packet data, whichever comes first; fewer than workerSampleMin
// packets give no opinion (one worker per CPU).
const (
	workerSamplePackets = 16384
	workerSampleBytes   = 8 << 20
	workerSampleMin     = 256
)

// chooseWorkers returns the number of workers of a run over paths, and
// the mean packet size it sampled (0 when it did not sample).
func chooseWorkers(workers int, paths []string) (int, int) {
	if workers > 0 {
		return workers, 0
	}
	workers = runtime.NumCPU()
	if workers == 1 || len(paths) == 0 {
		return workers, 0
	}
	mean := meanPacketBytes(paths[0])
	if mean >= inlineMeanPacketBytes {
		return 1, mean
	}
	return workers, mean
}

// meanPacketBytes is the mean captured length of the first packets of
// path, 0 when it is not a regular file (a pipe must not lose what the
// sample would read), is compressed, cannot be read or holds too few
// packets to say.
func meanPacketBytes(path string) int {
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return 0
	}
	r, err := OpenPacketReader(path)
	if err != nil {
		return 0
	}
	defer r.Close()
	if r.Compression() != CompressionNone {
		return 0
	}
	total, n := 0, 0
	for n < workerSamplePackets && total < workerSampleBytes {
		data, _, _, err := r.Next()
		if err != nil {
			break
		}
		total += len(data)
		n++
	}
	if n < workerSampleMin {
		return 0
	}
	return total / n
}
