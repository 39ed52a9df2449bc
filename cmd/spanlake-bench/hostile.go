package main

// Hostile mode (-hostile): spanlake ingest end to end on the hostile
// captures of ingest/synth (SYN flood, tiny out-of-order segments, a
// connection that never closes, a 10 GB Content-Length, 100,000 header
// lines, gzip bombs, a 10,000-deep pipeline), one child process per case,
// reporting its peak RSS, wall time and what the run summary and the
// warehouse counted.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/ingest/synth"
)

// hostileSummary is the part of `spanlake ingest --json` the hostile mode
// reads.
type hostileSummary struct {
	Bytes       int64    `json:"capture_bytes"`
	Packets     uint64   `json:"packets"`
	Connections uint64   `json:"connections"`
	Exchanges   uint64   `json:"exchanges"`
	Gaps        uint64   `json:"gaps"`
	GapBytes    uint64   `json:"gap_bytes"`
	Anomalies   uint64   `json:"anomalies"`
	Errors      []string `json:"errors"`
}

// hostileRun is one row of the hostile table.
type hostileRun struct {
	kind    synth.HostileKind
	options string
	synth   synth.Stats
	wall    time.Duration
	rssMiB  float64
	sum     hostileSummary
	tally   tally
	failure string // why the run did not finish ("" when it did)
}

// hostileVariants are the extra ingest flags each kind is run with: every
// kind once with the defaults, and the kinds whose responses carry bodies
// once more keeping response bodies.
func hostileVariants(kind synth.HostileKind) [][]string {
	v := [][]string{nil}
	switch kind {
	case synth.GzipBombResponse, synth.NeverCloses, synth.DeepPipeline:
		v = append(v, []string{"--response-body-limit", "65536"})
	}
	return v
}

// runHostile generates each kind in dir (one at a time, removed after its
// runs), ingests it and prints the table.
func runHostile(bin string, scale float64, kindList string, workers int, timeout time.Duration, dir string) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("cannot find the spanlake binary: %w", err)
	}
	kinds := synth.HostileKinds
	if kindList != "" && kindList != "all" {
		kinds = nil
		for _, k := range strings.Split(kindList, ",") {
			k := synth.HostileKind(strings.TrimSpace(k))
			if synth.HostileCount(k, 1) == 0 {
				return fmt.Errorf("unknown hostile kind %q (kinds: %v)", k, synth.HostileKinds)
			}
			kinds = append(kinds, k)
		}
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "spanlake-hostile-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var runs []hostileRun
	for _, kind := range kinds {
		capture := filepath.Join(dir, string(kind)+".pcap")
		st, err := synthesiseHostile(kind, scale, capture)
		if err != nil {
			return err
		}
		for _, extra := range hostileVariants(kind) {
			wh := filepath.Join(dir, "wh")
			r := hostileRun{kind: kind, options: strings.Join(extra, " "), synth: st}
			r.wall, r.rssMiB, r.sum, err = hostileIngest(bin, capture, wh, workers, timeout, extra)
			if err != nil {
				r.failure = err.Error()
			} else if r.tally, err = tallyChild(wh); err != nil {
				return err
			}
			if err := os.RemoveAll(wh); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "%s %s: %.2f s, peak RSS %.0f MiB %s\n", kind, r.options, r.wall.Seconds(), r.rssMiB, r.failure)
			runs = append(runs, r)
		}
		if err := os.Remove(capture); err != nil {
			return err
		}
	}
	printHostile(os.Stdout, runs)
	return nil
}

func printHostile(w io.Writer, runs []hostileRun) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\toptions\tcapture MB\tpackets\telapsed s\tpeak RSS MiB\tconnections\texchanges\tanomalies\tgaps\tgap bytes\t")
	for _, r := range runs {
		opts := r.options
		if opts == "" {
			opts = "(defaults)"
		}
		if r.failure != "" {
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%d\t%.2f\t%.0f\tFAILED\t\t\t\t\t\n", r.kind, opts, float64(r.synth.Bytes)/1e6, r.synth.Packets, r.wall.Seconds(), r.rssMiB)
			continue
		}
		s := r.sum
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%d\t%.2f\t%.0f\t%d\t%d\t%d\t%d\t%d\t\n", r.kind, opts, float64(r.synth.Bytes)/1e6, s.Packets,
			r.wall.Seconds(), r.rssMiB, s.Connections, s.Exchanges, s.Anomalies, s.Gaps, s.GapBytes)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "What the warehouse recorded (rows per value):")
	for _, r := range runs {
		opts := ""
		if r.options != "" {
			opts = " " + r.options
		}
		if r.failure != "" {
			fmt.Fprintf(w, "  %s%s: %s\n", r.kind, opts, r.failure)
			continue
		}
		fmt.Fprintf(w, "  %s%s: %s\n", r.kind, opts, r.tally)
	}
}

// synthesiseHostile writes a hostile capture in a child process, for the
// reason given at synthesise.
func synthesiseHostile(kind synth.HostileKind, scale float64, path string) (synth.Stats, error) {
	self, err := os.Executable()
	if err != nil {
		return synth.Stats{}, err
	}
	t0 := time.Now()
	cmd := exec.Command(self, "-synth-hostile", fmt.Sprintf("%s:%g:%s", kind, scale, path))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return synth.Stats{}, fmt.Errorf("cannot synthesise %s: %w", path, err)
	}
	var st synth.Stats
	if err := json.Unmarshal(out, &st); err != nil {
		return synth.Stats{}, err
	}
	var rss float64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = float64(ru.Maxrss) / 1024
	}
	fmt.Fprintf(os.Stderr, "synthesised %s in %.1f s (peak RSS %.0f MiB): %d bytes, %d packets, %d connections, %d exchanges\n",
		path, time.Since(t0).Seconds(), rss, st.Bytes, st.Packets, st.Connections, st.Exchanges)
	return st, nil
}

// synthHostileChild is the child of synthesiseHostile: KIND:SCALE:PATH.
func synthHostileChild(arg string) error {
	parts := strings.SplitN(arg, ":", 3)
	if len(parts) != 3 {
		return fmt.Errorf("bad -synth-hostile %q", arg)
	}
	scale, err := strconv.ParseFloat(parts[1], 64)
	if err != nil {
		return fmt.Errorf("bad -synth-hostile %q: %w", arg, err)
	}
	st, err := synth.WriteHostile(parts[2], synth.HostileKind(parts[0]), scale)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(st)
}

// hostileIngest runs `spanlake ingest --json` into a fresh warehouse and
// returns its wall time, peak RSS and summary. A run that exceeds timeout
// is killed and reported as an error (its peak RSS so far is still
// returned).
func hostileIngest(bin, capture, wh string, workers int, timeout time.Duration, extra []string) (time.Duration, float64, hostileSummary, error) {
	if err := os.RemoveAll(wh); err != nil {
		return 0, 0, hostileSummary{}, err
	}
	args := []string{"ingest", "-w", wh, "--state", wh + "-state", "--json", "--progress=false"}
	if workers > 0 {
		args = append(args, "--workers", strconv.Itoa(workers))
	}
	args = append(append(args, extra...), capture)
	defer os.RemoveAll(wh + "-state")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	var rss float64
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = float64(ru.Maxrss) / 1024 // Linux reports KiB
		}
	}
	if ctx.Err() != nil {
		return wall, rss, hostileSummary{}, fmt.Errorf("killed after %v", timeout)
	}
	// Exit code 3 (a damaged capture) still prints the summary.
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 3) {
		return wall, rss, hostileSummary{}, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, errb.String())
	}
	var s hostileSummary
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		return wall, rss, hostileSummary{}, fmt.Errorf("cannot read the --json summary: %w\n%s", err, errb.String())
	}
	return wall, rss, s, nil
}

// tally counts values of the warehouse columns that show how a hostile
// case was recorded.
type tally map[string]map[string]int64

func (t tally) add(column, value string) {
	if t[column] == nil {
		t[column] = map[string]int64{}
	}
	t[column][value]++
}

// String lists each column's values, most frequent first.
func (t tally) String() string {
	cols := make([]string, 0, len(t))
	for c := range t {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	var b strings.Builder
	for _, c := range cols {
		vals := make([]string, 0, len(t[c]))
		for v := range t[c] {
			vals = append(vals, v)
		}
		sort.Slice(vals, func(i, j int) bool {
			if t[c][vals[i]] != t[c][vals[j]] {
				return t[c][vals[i]] > t[c][vals[j]]
			}
			return vals[i] < vals[j]
		})
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c + ":")
		for _, v := range vals {
			fmt.Fprintf(&b, " %s=%d", v, t[c][v])
		}
	}
	return b.String()
}

// Projections of the warehouse tables read by the tally.
type (
	tallyExchange struct {
		Anomalies       []string `parquet:"anomalies,list"`
		ResponseMissing bool     `parquet:"response_missing"`
		RequestMissing  bool     `parquet:"request_missing"`
	}
	tallyConnection struct {
		ConnState   string   `parquet:"conn_state"`
		CloseReason string   `parquet:"close_reason"`
		Anomalies   []string `parquet:"anomalies,list"`
	}
	tallyBody struct {
		Direction   string `parquet:"direction"`
		DecodeError string `parquet:"decode_error,optional"`
		Truncated   bool   `parquet:"truncated"`
	}
)

// tallyChild tallies a warehouse in a child process, so that reading
// Parquet never grows the bench process (see synthesise).
func tallyChild(wh string) (tally, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-tally", wh)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("cannot tally %s: %w", wh, err)
	}
	var t tally
	if err := json.Unmarshal(out, &t); err != nil {
		return nil, err
	}
	return t, nil
}

// tallyWarehouse is the child of tallyChild: it prints the tally of wh as
// JSON.
func tallyWarehouse(wh string) error {
	t := tally{}
	err := eachRow(wh, "fact_http_exchange", func(r *tallyExchange) {
		for _, a := range r.Anomalies {
			t.add("exchange.anomalies", a)
		}
		if r.ResponseMissing {
			t.add("exchange", "response_missing")
		}
		if r.RequestMissing {
			t.add("exchange", "request_missing")
		}
	})
	if err == nil {
		err = eachRow(wh, "fact_tcp_connection", func(r *tallyConnection) {
			t.add("connection.state", r.ConnState)
			t.add("connection.close_reason", r.CloseReason)
			for _, a := range r.Anomalies {
				t.add("connection.anomalies", a)
			}
		})
	}
	if err == nil {
		err = eachRow(wh, "http_body", func(r *tallyBody) {
			if r.DecodeError != "" {
				t.add("body.decode_error", r.Direction+":"+r.DecodeError)
			}
			if r.Truncated {
				t.add("body.truncated", r.Direction)
			}
		})
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(t)
}

// eachRow calls fn for every row of a table's Parquet files, reading them
// in batches.
func eachRow[T any](wh, table string, fn func(*T)) error {
	root := filepath.Join(wh, table)
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".parquet") || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			return fmt.Errorf("cannot open %s: %w", p, err)
		}
		r := parquet.NewGenericReader[T](pf)
		defer r.Close()
		buf := make([]T, 1024)
		for {
			n, err := r.Read(buf)
			for i := range buf[:n] {
				fn(&buf[i])
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("cannot read %s: %w", p, err)
			}
		}
	})
}
