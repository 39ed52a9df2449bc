package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// The compressed measurement: the large capture cut into a rotated set of
// files (as `tcpdump -C` would write it), each compressed as `tcpdump -z
// gzip` or zstd would, ingested as one run, against decompressing the same
// files alone with zcat / zstdcat where installed.

// rotatedParts is how many files the large capture is cut into.
const rotatedParts = 4

// codecs are the compressions of the rotated sets: file extension, and
// the command that decompresses them alone.
var codecs = map[string]struct{ ext, alone string }{
	"gzip": {"gz", "zcat"},
	"zstd": {"zst", "zstdcat"},
}

// rotatedSet writes, in a child process (see synthesise), the large
// capture at src cut into rotatedParts pcap files compressed with codec
// ("gzip" or "zstd"), and returns their paths.
func rotatedSet(src, codec, dir string) ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	prefix := filepath.Join(dir, "rotated-"+codec+"-")
	cmd := exec.Command(self, "-rotate", strings.Join([]string{src, codec, prefix}, ":"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("cannot write the %s set: %w", codec, err)
	}
	return strings.Fields(string(out)), nil
}

// rotateChild is the child of rotatedSet: SRC:CODEC:PREFIX.
func rotateChild(arg string) error {
	parts := strings.SplitN(arg, ":", 3)
	if len(parts) != 3 {
		return fmt.Errorf("bad -rotate %q", arg)
	}
	src, codec, prefix := parts[0], parts[1], parts[2]
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	in := bufio.NewReaderSize(f, 1<<20)
	head := make([]byte, 24)
	if _, err := io.ReadFull(in, head); err != nil {
		return fmt.Errorf("%s: pcap header: %w", src, err)
	}
	if binary.LittleEndian.Uint32(head) != 0xa1b2c3d4 {
		return fmt.Errorf("%s: not a little-endian microsecond pcap (the synthesised kind)", src)
	}
	per := (st.Size() - 24) / rotatedParts
	rec := make([]byte, 16)
	for i := range rotatedParts {
		name := prefix + strconv.Itoa(i) + ".pcap." + codecs[codec].ext
		if err := writeCompressed(name, codec, func(w io.Writer) error {
			if _, err := w.Write(head); err != nil {
				return err
			}
			for n := int64(0); i == rotatedParts-1 || n < per; {
				if _, err := io.ReadFull(in, rec); err == io.EOF {
					return nil
				} else if err != nil {
					return err
				}
				caplen := int64(binary.LittleEndian.Uint32(rec[8:12]))
				if _, err := w.Write(rec); err != nil {
					return err
				}
				if _, err := io.CopyN(w, in, caplen); err != nil {
					return err
				}
				n += 16 + caplen
			}
			return nil
		}); err != nil {
			return err
		}
		fmt.Println(name)
	}
	return nil
}

// writeCompressed writes path through codec at the level a capture
// rotation would use (gzip's default, as tcpdump -z gzip; zstd's default).
func writeCompressed(path, codec string, body func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var zw io.WriteCloser
	switch codec {
	case "gzip":
		zw = gzip.NewWriter(bw)
	case "zstd":
		zw, err = zstd.NewWriter(bw, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
		if err != nil {
			f.Close()
			return err
		}
	default:
		f.Close()
		return fmt.Errorf("unknown codec %q", codec)
	}
	err = body(zw)
	for _, step := range []func() error{zw.Close, bw.Flush, f.Close} {
		if e := step(); err == nil {
			err = e
		}
	}
	return err
}

// compressedResult is one line of the compressed table.
type compressedResult struct {
	codec     string
	storedMB  float64
	wall, cpu time.Duration
	rssMiB    float64
	alone     time.Duration // zcat / zstdcat of the same files, 0 when not installed
	aloneTool string
}

// measureCompressed ingests each compressed set (medians of runs) with
// the default number of workers and times the decompressor alone.
func measureCompressed(bin, large, dir string, runs int) ([]compressedResult, error) {
	var results []compressedResult
	for _, codec := range []string{"gzip", "zstd"} {
		files, err := rotatedSet(large, codec, dir)
		if err != nil {
			return nil, err
		}
		var stored int64
		for _, f := range files {
			if st, err := os.Stat(f); err == nil {
				stored += st.Size()
			}
		}
		wh := filepath.Join(dir, "wh-"+codec)
		if _, _, _, err := ingestFiles(bin, files, wh, 0); err != nil { // warm
			return nil, err
		}
		var timed []runTimes
		var rss float64
		for range runs {
			rt, maxrss, _, err := ingestFiles(bin, files, wh, 0)
			if err != nil {
				return nil, err
			}
			timed, rss = append(timed, rt), max(rss, maxrss)
		}
		sort.Slice(timed, func(i, j int) bool { return timed[i].wall < timed[j].wall })
		r := compressedResult{codec: codec, storedMB: float64(stored) / 1e6, wall: timed[len(timed)/2].wall,
			cpu: timed[len(timed)/2].cpu, rssMiB: rss}
		r.aloneTool = codecs[codec].alone
		if p, err := exec.LookPath(r.aloneTool); err == nil {
			cmd := exec.Command(p, files...)
			t0 := time.Now()
			if err := cmd.Run(); err == nil {
				r.alone = time.Since(t0)
			}
		}
		results = append(results, r)
		for _, f := range files {
			os.Remove(f)
		}
	}
	return results, nil
}

// printCompressed prints the compressed table.
func printCompressed(results []compressedResult) error {
	fmt.Printf("\nrotated set: the large capture cut into %d files, each compressed, one run (default --workers):\n", rotatedParts)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "codec\tfiles\tstored MB\twall s\tCPU s\tpeak RSS MiB\tdecompressor alone\tspanlake / decompressor\t")
	for _, r := range results {
		alone, ratio := "(not installed)", "-"
		if r.alone > 0 {
			alone = fmt.Sprintf("%s %.2f s", r.aloneTool, r.alone.Seconds())
			ratio = fmt.Sprintf("%.2fx", r.wall.Seconds()/r.alone.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t%.0f\t%s\t%s\t\n", r.codec, rotatedParts, r.storedMB, r.wall.Seconds(),
			r.cpu.Seconds(), r.rssMiB, alone, ratio)
	}
	return tw.Flush()
}

// ingestFiles is ingest for several capture files in one run; workers 0
// leaves spanlake's default.
func ingestFiles(bin string, files []string, wh string, workers int) (runTimes, float64, summary, error) {
	args := []string{}
	if workers > 0 {
		args = append(args, "--workers", strconv.Itoa(workers))
	}
	return runIngest(bin, wh, append(args, files...))
}
