package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spanlake/spanlake/schema"
)

// canonicalRows reads a table and returns its rows as sorted JSON strings:
// a multiset that ignores how rows are spread over files.
func canonicalRows[T any](t *testing.T, wh, table string, distinct bool) []string {
	t.Helper()
	var out []string
	for _, r := range readTable[T](t, wh, table) {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	slices.Sort(out)
	if distinct {
		out = slices.Compact(out)
	}
	return out
}

// sameTables compares every fact and detail table of two warehouses row for
// row (as multisets), and the members of every dimension (as sets).
func sameTables(t *testing.T, want, got string) {
	t.Helper()
	check := func(table string, w, g []string) {
		t.Helper()
		if len(w) == 0 && table != "http_body" { // the rotated capture has no request bodies
			t.Fatalf("%s: reference warehouse has no rows (the test would prove nothing)", table)
		}
		if slices.Equal(w, g) {
			return
		}
		missing, extra := diffSorted(w, g)
		t.Errorf("%s: %d rows vs %d; %d missing, %d extra", table, len(w), len(g), len(missing), len(extra))
		for i := 0; i < len(missing) && i < 3; i++ {
			t.Logf("  missing: %.400s", missing[i])
		}
		for i := 0; i < len(extra) && i < 3; i++ {
			t.Logf("  extra:   %.400s", extra[i])
		}
	}
	check("fact_http_exchange", canonicalRows[schema.FactHTTPExchange](t, want, "fact_http_exchange", false),
		canonicalRows[schema.FactHTTPExchange](t, got, "fact_http_exchange", false))
	check("fact_tcp_connection", canonicalRows[schema.FactTCPConnection](t, want, "fact_tcp_connection", false),
		canonicalRows[schema.FactTCPConnection](t, got, "fact_tcp_connection", false))
	check("http_header", canonicalRows[schema.HTTPHeader](t, want, "http_header", false),
		canonicalRows[schema.HTTPHeader](t, got, "http_header", false))
	check("http_param", canonicalRows[schema.HTTPParam](t, want, "http_param", false),
		canonicalRows[schema.HTTPParam](t, got, "http_param", false))
	check("http_body", canonicalRows[schema.HTTPBody](t, want, "http_body", false),
		canonicalRows[schema.HTTPBody](t, got, "http_body", false))
	check("dim_url", canonicalRows[schema.DimURL](t, want, "dim_url", true),
		canonicalRows[schema.DimURL](t, got, "dim_url", true))
	check("dim_endpoint", canonicalRows[schema.DimEndpoint](t, want, "dim_endpoint", true),
		canonicalRows[schema.DimEndpoint](t, got, "dim_endpoint", true))
	check("dim_user_agent", canonicalRows[schema.DimUserAgent](t, want, "dim_user_agent", true),
		canonicalRows[schema.DimUserAgent](t, got, "dim_user_agent", true))
}

// copySettled copies the capture p into dir with modification time mtime
// (a file tcpdump finished writing at mtime).
func copySettled(t *testing.T, p, dir string, mtime time.Time) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(p))
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dst, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// copyFile copies src to dst (0600: it is used for the privacy key).
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// diffSorted returns the elements only in a and only in b (multisets).
func diffSorted(a, b []string) (onlyA, onlyB []string) {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch c := strings.Compare(a[i], b[j]); {
		case c == 0:
			i, j = i+1, j+1
		case c < 0:
			onlyA, i = append(onlyA, a[i]), i+1
		default:
			onlyB, j = append(onlyB, b[j]), j+1
		}
	}
	return append(onlyA, a[i:]...), append(onlyB, b[j:]...)
}

// TestCarryOverEqualsOneRun: a rotated capture ingested one file per
// incremental run, with the connections open at the end of each run carried
// over to the next, gives exactly the rows of one run over all the files —
// in every table, with either number of workers.
func TestCarryOverEqualsOneRun(t *testing.T) {
	src, err := filepath.Glob(filepath.Join(captureDir, "nginx-rotated.pcap*"))
	if err != nil || len(src) < 3 {
		t.Fatalf("rotated capture: %v %v", src, err)
	}
	slices.Sort(src)
	oneRun := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", oneRun, "--workers", "1", filepath.Join(captureDir, "nginx-rotated.pcap*"))

	for _, workers := range []string{"1", "2"} {
		t.Run("workers="+workers, func(t *testing.T) {
			spool, wh := t.TempDir(), t.TempDir()
			carried := 0
			for i, p := range src {
				copySettled(t, p, spool, time.Now().Add(-time.Hour+time.Duration(i)*time.Second))
				out := spanlake(t, exitOK, "ingest", "--incremental", "--include-newest", "--json", "--workers", workers, "-w", wh, spool)
				var sum runSummary
				if err := json.Unmarshal([]byte(out), &sum); err != nil {
					t.Fatalf("run %d summary: %v\n%s", i, err, out)
				}
				if sum.Files != 1 {
					t.Fatalf("run %d read %d files, want 1", i, sum.Files)
				}
				if w, _ := strconv.Atoi(workers); sum.Workers != w {
					t.Fatalf("run %d used %d workers, want %s", i, sum.Workers, workers)
				}
				carried += sum.Carried
			}
			if carried == 0 {
				t.Fatal("no connection was carried over: the capture does not exercise the carry-over")
			}
			// The capture is over: close what is still carried.
			spanlake(t, exitOK, "ingest", "--incremental", "--finish", "--workers", workers, "-w", wh, spool)
			if left, _ := filepath.Glob(filepath.Join(wh, "_spanlake", "state", "carry", "*")); len(left) != 0 {
				t.Errorf("checkpoints left after --finish: %v", left)
			}
			sameTables(t, oneRun, wh)
		})
	}
}

// TestCarryOverSurvivesCrashes: incremental runs with carry-over, each
// killed at a random point and then run again, and a run whose ledger
// record was lost after its checkpoint and warehouse were written (the
// widest window), end with exactly the rows of one clean run.
func TestCarryOverSurvivesCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	bin := spanlakeBinary(t)
	src, err := filepath.Glob(filepath.Join(captureDir, "nginx-rotated.pcap*"))
	if err != nil || len(src) < 3 {
		t.Fatalf("rotated capture: %v %v", src, err)
	}
	slices.Sort(src)
	state := t.TempDir() // shared: the key of the keyed hashes must be the same
	oneRun := t.TempDir()
	if out, err := exec.Command(bin, "--log-level", "error", "ingest", "-w", oneRun, "--state", filepath.Join(state, "one"),
		filepath.Join(captureDir, "nginx-rotated.pcap*")).CombinedOutput(); err != nil {
		t.Fatalf("one run: %v\n%s", err, out)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 3; trial++ {
		spool, wh, st := t.TempDir(), t.TempDir(), t.TempDir()
		copyFile(t, filepath.Join(state, "one", "secret.key"), filepath.Join(st, "secret.key"))
		args := []string{"--log-level", "error", "ingest", "--incremental", "--include-newest", "-w", wh, "--state", st, spool}
		for i, p := range src {
			copySettled(t, p, spool, time.Now().Add(-time.Hour+time.Duration(i)*time.Second))
			carryDir := filepath.Join(st, "carry")
			before, _ := filepath.Glob(filepath.Join(carryDir, "*"))
			saved := map[string][]byte{}
			for _, f := range before {
				saved[f], _ = os.ReadFile(f)
			}
			// A run killed at a random point...
			cmd := exec.Command(bin, args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(rng.Int64N(int64(60 * time.Millisecond))))
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			// ...then run again by the next timer tick.
			if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
				t.Fatalf("trial %d run %d: %v\n%s", trial, i, err, out)
			}
			if i == trial+1 {
				// Killed after its checkpoint and warehouse were written but
				// before the ledger record (and so before the previous
				// checkpoint was pruned): the new checkpoint is not valid,
				// and the next run does it again from the previous one.
				ledger := filepath.Join(st, "ledger.jsonl")
				lines := readLines(t, ledger)
				os.WriteFile(ledger, []byte(strings.Join(lines[:len(lines)-1], "\n")+"\n"), 0o640)
				for f, b := range saved {
					os.WriteFile(f, b, 0o640)
				}
				if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
					t.Fatalf("trial %d run %d again: %v\n%s", trial, i, err, out)
				}
			}
		}
		if out, err := exec.Command(bin, append([]string{"--log-level", "error", "ingest", "--incremental", "--finish", "-w", wh, "--state", st}, spool)...).CombinedOutput(); err != nil {
			t.Fatalf("finish: %v\n%s", err, out)
		}
		sameTables(t, oneRun, wh)
	}
}
