package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/spanlake/spanlake/etl"
	"github.com/spanlake/spanlake/ingest"
)

func ingestCommand() *cli.Command {
	return &cli.Command{
		Name:      "ingest",
		Usage:     "read capture files and write the warehouse",
		ArgsUsage: "PATH...  (capture files, directories or globs; pcap or pcapng, optionally gzip or zstd compressed)",
		Flags: append([]cli.Flag{
			warehouseFlag(),
			&cli.IntFlag{Name: "request-body-limit", Value: 64 << 10, Usage: "bytes of each request body to keep"},
			&cli.IntFlag{Name: "response-body-limit", Value: 0, Usage: "bytes of each response body to keep"},
			&cli.StringFlag{Name: "state", Usage: "state directory: ledger of processed captures and the run lock (default WAREHOUSE/_spanlake/state)"},
			&cli.BoolFlag{Name: "incremental", Usage: "skip captures the ledger lists, and leave files still being written for the next run (for cron/systemd timers)"},
			&cli.DurationFlag{Name: "settle", Value: 60 * time.Second, Usage: "with --incremental: a file modified more recently than this is still being written"},
			&cli.BoolFlag{Name: "include-newest", Usage: "with --incremental: also take the newest file of each directory (by default tcpdump is assumed to be writing it)"},
			&cli.Int64Flag{Name: "carry-max-bytes", Value: ingest.DefaultCarryMaxTotalBytes, Usage: "with --incremental: connections still open at the end of a run are carried over to the next (their packets are kept in the state directory, at most this many bytes; a connection over 32 MiB is closed instead); 0 turns carry-over off"},
			&cli.BoolFlag{Name: "finish", Usage: "with --incremental: the capture has ended; close the connections carried over instead of carrying them on"},
			&cli.IntFlag{Name: "workers", Value: 0, DefaultText: "number of CPUs, or 1 when the first capture's packets average 850 bytes or more", Usage: "connections are sharded over this many workers (the output does not depend on it)"},
			&cli.BoolFlag{Name: "keep-secrets", Usage: "store credentials (Authorization, Cookie, Set-Cookie) and secret parameters as sent instead of as keyed hashes"},
			&cli.StringFlag{Name: "secret-params", Value: strings.Join(etl.DefaultSecretNames(), ","), Usage: "comma-separated name fragments: a query/form/JSON parameter whose name contains one is secret"},
			&cli.BoolFlag{Name: "strict", Usage: "stop at the first damaged or unreadable capture with exit code 3 and write nothing (not even the rows of the files before it); the warehouse and the ledger keep their previous state"},
			&cli.BoolFlag{Name: "json", Usage: "print the run summary as JSON on stdout"},
			&cli.BoolFlag{Name: "progress", Value: isTerminal(os.Stderr), DefaultText: "on when stderr is a terminal", Usage: "show a progress line on stderr"},
			&cli.DurationFlag{Name: "progress-log-interval", Value: 30 * time.Second, Usage: "without --progress: log a progress line (info level) this often; 0 turns it off"},
		}, limitFlags()...),
		Action: runIngest,
	}
}

func runIngest(c *cli.Context) error {
	if c.NArg() == 0 {
		return usagef("ingest: no capture files given")
	}
	log := logger(c)
	paths, err := ingest.Expand(c.Args().Slice())
	if err != nil {
		return usagef("ingest: %w", err)
	}
	root := c.String("warehouse")
	stateDir := stateDirOf(c)
	unlock, err := ingest.Lock(stateDir)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer unlock()
	ledger, err := ingest.OpenLedger(stateDir)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if c.Bool("incremental") {
		sel, err := ingest.SelectNew(paths, ledger, time.Now(), c.Duration("settle"), c.Bool("include-newest"))
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		for _, p := range sel.Waiting {
			log.Info("still being written, left for the next run", "file", p)
		}
		log.Info("incremental selection", "new", len(sel.Process), "already_ingested", len(sel.Done), "waiting", len(sel.Waiting))
		paths = sel.Process
	}
	var carry *ingest.CarryStore
	var carryIn *ingest.CarryIn
	if c.Bool("incremental") && c.Int64("carry-max-bytes") > 0 {
		if carry, err = ingest.OpenCarryStore(stateDir); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		if carryIn, err = carry.Load(ledger); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	if len(paths) == 0 && (carryIn == nil || !c.Bool("finish")) {
		if c.Bool("incremental") {
			return nil
		}
		return usagef("ingest: no capture files found")
	}
	wh, err := etl.OpenWarehouse(root, log)
	if err != nil {
		return err
	}
	privacy := etl.Privacy{Keep: c.Bool("keep-secrets"), SecretNames: etl.DefaultSecretNames()}
	if c.IsSet("secret-params") {
		privacy.SecretNames = nil
		for _, n := range strings.Split(c.String("secret-params"), ",") {
			if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
				privacy.SecretNames = append(privacy.SecretNames, n)
			}
		}
	}
	if !privacy.Keep {
		if privacy.Key, err = etl.LoadOrCreateKey(stateDir); err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
	}
	wh.SetPrivacy(privacy)
	if c.Int64("memory-budget") <= 0 {
		return usagef("ingest: --memory-budget must be positive")
	}
	wh.SetMemoryBudget(c.Int64("memory-budget"))
	if c.Int("workers") < 0 {
		return usagef("ingest: --workers must not be negative")
	}
	opts := ingest.Options{Logger: log, Workers: c.Int("workers")}
	if carry != nil {
		total := c.Int64("carry-max-bytes")
		opts.Carry = &ingest.CarryOptions{In: carryIn, Out: !c.Bool("finish"),
			MaxConnBytes: min(ingest.DefaultCarryMaxConnBytes, total), MaxTotalBytes: total}
	}
	if err := applyLimits(c, &opts); err != nil {
		return err
	}
	var bar *progressLine
	if c.Bool("progress") {
		bar = newProgressLine(os.Stderr)
		opts.Progress = bar.update
	} else if every := c.Duration("progress-log-interval"); every > 0 {
		opts.Progress = progressLog(log, every, time.Now)
	}
	var sink ingest.Sink = wh
	if c.Bool("strict") {
		sink = strictSink{wh}
	}
	sum, err := ingest.Run(c.Context, paths, opts, sink)
	if bar != nil {
		bar.done()
	}
	if err != nil {
		rollback(wh, log)
		return fmt.Errorf("ingest: %w", err)
	}
	if c.Bool("strict") && sum.BadFiles > 0 { // not committed: the warehouse keeps its previous files
		rollback(wh, log)
		return fmt.Errorf("ingest: --strict: %w", errBadInput)
	}
	var carrySeq int64
	if carry != nil {
		if carrySeq, err = carry.Save(carryIn, sum, time.Now()); err != nil {
			rollback(wh, log)
			return fmt.Errorf("ingest: %w", err)
		}
	}
	if err := wh.Commit(); err != nil {
		rollback(wh, log)
		return fmt.Errorf("ingest: commit warehouse %s: %w", root, err)
	}
	if err := ledger.Record(sum.Sources, time.Now()); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if carry != nil {
		// Only now, with the ledger recorded, is the new checkpoint the
		// valid one; the older ones can go.
		if err := carry.Prune(carrySeq); err != nil {
			log.Warn("cannot remove old carry-over checkpoints", "err", err)
		}
		if len(sum.Carried) > 0 || sum.CarryOverflow > 0 {
			log.Info("connections carried over to the next run", "connections", len(sum.Carried), "too_big_to_carry", sum.CarryOverflow)
		}
	}
	report(c, sum, wh)
	if sum.BadFiles > 0 {
		return errBadInput
	}
	return nil
}

// strictSink stops a --strict run at the first damaged file: its error
// ends ingest.Run before anything is committed.
type strictSink struct{ ingest.Sink }

func (s strictSink) SourceDone(src *ingest.SourceFile) error {
	if err := s.Sink.SourceDone(src); err != nil {
		return err
	}
	if src.Err != "" {
		return fmt.Errorf("--strict: %w: %s", errBadInput, src.Err)
	}
	return nil
}

// runSummary is what --json prints.
type runSummary struct {
	Files       int              `json:"files"`
	Workers     int              `json:"workers"`
	BadFiles    int              `json:"bad_files"`
	Bytes       int64            `json:"capture_bytes"`
	Packets     uint64           `json:"packets"`
	TCPPackets  uint64           `json:"tcp_packets"`
	Connections uint64           `json:"connections"`
	Exchanges   uint64           `json:"exchanges"`
	Gaps        uint64           `json:"gaps"`
	GapBytes    uint64           `json:"gap_bytes"`
	Anomalies   uint64           `json:"anomalies"`
	Rows        map[string]int64 `json:"rows"`
	Carried     int              `json:"carried_connections"`
	CarryOver   int              `json:"carry_overflow"`
	ElapsedSec  float64          `json:"elapsed_seconds"`
	MBPerSec    float64          `json:"mb_per_second"`
	Errors      []string         `json:"errors,omitempty"`
}

// rowTotal is the number of fact and detail rows written (dimensions and
// dim_time aside).
func (s runSummary) rowTotal() int64 {
	var n int64
	for table, rows := range s.Rows {
		if !strings.HasPrefix(table, "dim_") {
			n += rows
		}
	}
	return n
}

func report(c *cli.Context, sum *ingest.Summary, wh *etl.Warehouse) {
	s := runSummary{Files: sum.Files, Workers: sum.Workers, BadFiles: sum.BadFiles, Bytes: sum.Bytes, Packets: sum.Decode.Packets, TCPPackets: sum.Decode.TCP,
		Connections: sum.Connections, Exchanges: sum.Exchanges, Rows: wh.Rows, ElapsedSec: sum.Elapsed.Seconds(),
		Gaps: sum.Gaps, GapBytes: sum.GapBytes, Anomalies: sum.Anomalies,
		Carried: len(sum.Carried), CarryOver: sum.CarryOverflow}
	if secs := sum.Elapsed.Seconds(); secs > 0 {
		s.MBPerSec = float64(sum.Bytes) / 1e6 / secs
	}
	for _, src := range sum.Sources {
		if src.Err != "" {
			s.Errors = append(s.Errors, src.Err)
		}
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		enc.Encode(s)
		return
	}
	logger(c).Info("ingest finished", "files", s.Files, "bad_files", s.BadFiles, "workers", s.Workers, "packets", s.Packets,
		"connections", s.Connections, "exchanges", s.Exchanges, "gaps", s.Gaps, "gap_bytes", s.GapBytes, "anomalies", s.Anomalies,
		"rows", s.rowTotal(), "elapsed", sum.Elapsed.Round(time.Millisecond),
		"MB/s", fmt.Sprintf("%.1f", s.MBPerSec))
}

// stateDirOf is --state, or the default inside the warehouse.
func stateDirOf(c *cli.Context) string {
	if d := c.String("state"); d != "" {
		return d
	}
	return filepath.Join(c.String("warehouse"), etl.MetaDir, "state")
}

// rollback takes back the files a failed run created (part of a commit,
// and its temporary spill runs), so readers see the warehouse as it was
// before the run.
func rollback(wh *etl.Warehouse, log *slog.Logger) {
	if err := wh.Rollback(); err != nil {
		log.Error("cannot remove the files of the failed run", "err", err)
	}
}
