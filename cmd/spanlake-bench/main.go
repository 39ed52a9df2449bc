// Command spanlake-bench measures a built spanlake binary end to end on
// synthesised captures (see ingest/synth): wall time, throughput and peak
// RSS of `spanlake ingest` per capture shape and worker count, and, where
// tshark, tcpdump or httpry are installed, how long they take on the same
// file.
//
//	spanlake-bench -spanlake bin/spanlake [-large-mb 300] [-small-mb 100] [-workers 1,2,0] [-runs 3] [-compressed=false]
//
// The large capture is also cut into a rotated set of four files, each
// gzip'd (and then zstd'd), ingested as one run and compared with zcat /
// zstdcat of the same files where they are installed.
//
// With -hostile it measures instead the hostile captures of ingest/synth
// (SYN flood, tiny out-of-order segments, a connection that never closes,
// a 10 GB Content-Length, 100,000 header lines, gzip bombs, a 10,000-deep
// pipeline), each generated at -hostile-scale and ingested once (kinds with
// response bodies a second time with --response-body-limit 65536): peak
// RSS, wall time, and what the run summary and the warehouse counted.
//
//	spanlake-bench -spanlake bin/spanlake -hostile [-hostile-scale 1] [-hostile-kinds syn-flood,...] [-hostile-workers N] [-hostile-timeout 15m]
//
// It builds nothing: `make bench` builds the binary first.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spanlake/spanlake/ingest/synth"
)

type result struct {
	shape      synth.Shape
	workers    int // asked for (0: spanlake's default)
	used       int // what the run used
	fileBytes  int64
	wall       time.Duration // median
	cpu        time.Duration // user+system time of the median run
	rssMiB     float64       // highest of the runs
	packets    uint64
	exchanges  uint64
	identical  string
	speedupRef time.Duration
}

// summary is the part of `spanlake ingest --json` we read.
type summary struct {
	Bytes     int64  `json:"capture_bytes"`
	Packets   uint64 `json:"packets"`
	Exchanges uint64 `json:"exchanges"`
	Workers   int    `json:"workers"`
}

func main() {
	bin := flag.String("spanlake", "bin/spanlake", "the spanlake binary to measure")
	largeMB := flag.Int("large-mb", 300, "size of the large-response capture (MB)")
	smallMB := flag.Int("small-mb", 100, "size of the small-exchange capture (MB)")
	workersList := flag.String("workers", "1,2,0", "worker counts to measure, comma separated (0: spanlake's default, which chooses)")
	runs := flag.Int("runs", 3, "timed runs per configuration (the median is reported)")
	dir := flag.String("dir", "", "directory for captures and warehouses (default: a temporary directory, removed at the end)")
	compressed := flag.Bool("compressed", true, "also ingest the large capture as a rotated set of .gz and of .zst files")
	child := flag.String("synth", "", "internal: write one capture, SHAPE:BYTES:PATH, and exit")
	rotateArg := flag.String("rotate", "", "internal: cut a capture into a compressed rotated set, SRC:CODEC:PREFIX, print the paths, and exit")
	hostile := flag.Bool("hostile", false, "measure the hostile captures of ingest/synth instead of the throughput shapes")
	hostileScale := flag.Float64("hostile-scale", 1, "with -hostile: size of the hostile captures (1 = full size)")
	hostileKinds := flag.String("hostile-kinds", "all", "with -hostile: kinds to measure, comma separated")
	hostileWorkers := flag.Int("hostile-workers", 0, "with -hostile: --workers of spanlake ingest (0: spanlake's default, the number of CPUs)")
	hostileTimeout := flag.Duration("hostile-timeout", 15*time.Minute, "with -hostile: kill a run that takes longer")
	hostileChild := flag.String("synth-hostile", "", "internal: write one hostile capture, KIND:SCALE:PATH, and exit")
	tallyDir := flag.String("tally", "", "internal: print the anomaly and closure tally of a warehouse as JSON, and exit")
	flag.Parse()

	var err error
	switch {
	case *child != "":
		err = synthChild(*child)
	case *rotateArg != "":
		err = rotateChild(*rotateArg)
	case *hostileChild != "":
		err = synthHostileChild(*hostileChild)
	case *tallyDir != "":
		err = tallyWarehouse(*tallyDir)
	case *hostile:
		err = runHostile(*bin, *hostileScale, *hostileKinds, *hostileWorkers, *hostileTimeout, *dir)
	default:
		err = run(*bin, *largeMB, *smallMB, *workersList, *runs, *dir, *compressed)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "spanlake-bench:", err)
		os.Exit(1)
	}
}

func run(bin string, largeMB, smallMB int, workersList string, runs int, dir string, compressed bool) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("cannot find the spanlake binary: %w", err)
	}
	var workers []int
	for _, w := range strings.Split(workersList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 {
			return fmt.Errorf("bad -workers %q", workersList)
		}
		workers = append(workers, n)
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "spanlake-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	var results []result
	var packed []compressedResult
	for _, sh := range []struct {
		shape synth.Shape
		mb    int
	}{{synth.Large, largeMB}, {synth.Small, smallMB}} {
		if sh.mb <= 0 {
			continue
		}
		path := filepath.Join(dir, string(sh.shape)+".pcap")
		st, err := synthesise(sh.shape, int64(sh.mb)*1e6, path)
		if err != nil {
			return err
		}
		var ref time.Duration
		var refWH string
		for _, w := range workers {
			wh := filepath.Join(dir, fmt.Sprintf("wh-%s-%d", sh.shape, w))
			if _, _, _, err := ingest(bin, path, wh, w); err != nil { // warm the page cache, untimed
				return err
			}
			var timed []runTimes
			var rss float64
			var sum summary
			for range runs {
				rt, maxrss, s, err := ingest(bin, path, wh, w)
				if err != nil {
					return err
				}
				timed = append(timed, rt)
				rss = max(rss, maxrss)
				sum = s
			}
			sort.Slice(timed, func(i, j int) bool { return timed[i].wall < timed[j].wall })
			med := timed[len(timed)/2]
			r := result{shape: sh.shape, workers: w, used: sum.Workers, fileBytes: st.Bytes, wall: med.wall, cpu: med.cpu, rssMiB: rss,
				packets: sum.Packets, exchanges: sum.Exchanges}
			if ref == 0 {
				ref, refWH = r.wall, wh
				r.identical = "(reference)"
			} else {
				r.identical = sameTree(refWH, wh)
			}
			r.speedupRef = ref
			results = append(results, r)
		}
		others(path, st.Bytes, ref)
		if compressed && sh.shape == synth.Large {
			if packed, err = measureCompressed(bin, path, dir, runs); err != nil {
				return err
			}
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	// Per CPU-second: what one core does, whatever the number of cores
	// the run could use (user+system time of the process, all threads).
	fmt.Fprintln(tw, "shape\tworkers\tMB\twall s\tCPU s\tMB/s\tpackets/s\texchanges/s\tMB/CPU-s\texchanges/CPU-s\tpeak RSS MiB\tspeedup\twarehouse\t")
	for _, r := range results {
		s, c := r.wall.Seconds(), r.cpu.Seconds()
		mb := float64(r.fileBytes) / 1e6
		workers := strconv.Itoa(r.workers)
		if r.workers == 0 {
			workers = fmt.Sprintf("default (%d)", r.used)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.2fx\t%s\t\n", r.shape, workers, mb, s, c,
			mb/s, float64(r.packets)/s, float64(r.exchanges)/s, mb/c, float64(r.exchanges)/c, r.rssMiB, r.speedupRef.Seconds()/s, r.identical)
	}
	if err := tw.Flush(); err != nil || len(packed) == 0 {
		return err
	}
	return printCompressed(packed)
}

// synthesise writes a capture in a child process. Linux carries a process's
// peak RSS across exec, and Go starts children with vfork, so a child's
// ru_maxrss is at least the parent's RSS at the time: the bench itself must
// stay small, so the captures are not generated in it.
func synthesise(shape synth.Shape, bytes int64, path string) (synth.Stats, error) {
	self, err := os.Executable()
	if err != nil {
		return synth.Stats{}, err
	}
	cmd := exec.Command(self, "-synth", fmt.Sprintf("%s:%d:%s", shape, bytes, path))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return synth.Stats{}, fmt.Errorf("cannot synthesise %s: %w", path, err)
	}
	var st synth.Stats
	if err := json.Unmarshal(out, &st); err != nil {
		return synth.Stats{}, err
	}
	fmt.Fprintf(os.Stderr, "synthesised %s: %d bytes, %d packets, %d connections, %d exchanges\n",
		path, st.Bytes, st.Packets, st.Connections, st.Exchanges)
	return st, nil
}

func synthChild(arg string) error {
	parts := strings.SplitN(arg, ":", 3)
	if len(parts) != 3 {
		return fmt.Errorf("bad -synth %q", arg)
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return fmt.Errorf("bad -synth %q: %w", arg, err)
	}
	st, err := synth.WriteFile(parts[2], synth.Config{Shape: synth.Shape(parts[0]), Seed: 1, TargetBytes: n})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(st)
}

// runTimes are the wall time and the CPU time (user+system) of one run.
type runTimes struct{ wall, cpu time.Duration }

// ingest runs `spanlake ingest` on one capture into a fresh warehouse and
// returns its times, peak RSS and summary.
func ingest(bin, capture, wh string, workers int) (runTimes, float64, summary, error) {
	return ingestFiles(bin, []string{capture}, wh, workers)
}

// runIngest runs `spanlake ingest ARGS` into a fresh warehouse wh.
func runIngest(bin, wh string, args []string) (runTimes, float64, summary, error) {
	if err := os.RemoveAll(wh); err != nil {
		return runTimes{}, 0, summary{}, err
	}
	// All runs share one state directory beside the warehouses: it holds
	// the key of the keyed hashes (privacy), which must be the same for
	// warehouses of different worker counts to be comparable byte for byte.
	state := filepath.Join(filepath.Dir(wh), "state")
	cmd := exec.Command(bin, append([]string{"ingest", "-w", wh, "--state", state, "--json", "--progress=false"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	if err != nil {
		return runTimes{}, 0, summary{}, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, errb.String())
	}
	var s summary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		return runTimes{}, 0, summary{}, fmt.Errorf("cannot read the --json summary: %w", err)
	}
	var rss float64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = float64(ru.Maxrss) / 1024 // Linux reports KiB
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return runTimes{wall: wall, cpu: cpu}, rss, s, nil
}

// sameTree compares two warehouses file by file (the run state excluded).
func sameTree(a, b string) string {
	files := func(root string) map[string][]byte {
		m := map[string][]byte{}
		filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				if info != nil && info.IsDir() && info.Name() == "_spanlake" {
					return filepath.SkipDir
				}
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			m[rel], _ = os.ReadFile(p)
			return nil
		})
		return m
	}
	fa, fb := files(a), files(b)
	var diff []string
	for k, v := range fa {
		if w, ok := fb[k]; !ok || !bytes.Equal(v, w) {
			diff = append(diff, k)
		}
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			diff = append(diff, k)
		}
	}
	if len(diff) == 0 {
		return "identical"
	}
	sort.Strings(diff)
	tables := map[string]bool{}
	for _, d := range diff {
		tables[strings.SplitN(d, string(filepath.Separator), 2)[0]] = true
	}
	var names []string
	for t := range tables {
		names = append(names, t)
	}
	sort.Strings(names)
	return fmt.Sprintf("DIFFERS: %d files (%s)", len(diff), strings.Join(names, ","))
}

// others times the packet tools that are installed on the same capture;
// missing ones are skipped silently.
func others(capture string, size int64, spanlake time.Duration) {
	tools := []struct {
		name string
		args []string
	}{
		{"tshark", []string{"-n", "-r", capture, "-q", "-z", "http,tree"}},
		{"tcpdump", []string{"-n", "-r", capture}},
		{"httpry", []string{"-r", capture, "-o", os.DevNull}},
	}
	for _, t := range tools {
		p, err := exec.LookPath(t.name)
		if err != nil {
			continue
		}
		cmd := exec.Command(p, t.args...)
		cmd.Stdout, cmd.Stderr = nil, nil
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "%s on %s: %v\n", t.name, capture, err)
			continue
		}
		s := time.Since(t0).Seconds()
		var rss float64
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = float64(ru.Maxrss) / 1024
		}
		fmt.Printf("%-8s %-12s %6.2f s  %7.0f MB/s  peak RSS %4.0f MiB  spanlake (1st worker count) takes %.2fx its time\n",
			t.name, filepath.Base(capture), s, float64(size)/1e6/s, rss, spanlake.Seconds()/s)
	}
}
