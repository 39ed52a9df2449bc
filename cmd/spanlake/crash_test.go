package main

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// spanlakeBinary builds the command once for tests that need a child
// process (to kill it).
func spanlakeBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "spanlake-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "spanlake")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("%s", out)
		}
	})
	if binErr != nil {
		t.Fatalf("build spanlake: %v", binErr)
	}
	return binPath
}

// tableFiles maps every table file of a warehouse (relative path) to its
// content; the state directory (ledger, lock) is left out.
func tableFiles(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == filepath.Join("_spanlake", "state") {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestKilledIngestThenRerunEqualsCleanRun kills `spanlake ingest` with
// SIGKILL at random points; every Parquet file a reader can see at that
// moment must be complete, and a re-run must leave exactly the warehouse of
// a clean run.
func TestKilledIngestThenRerunEqualsCleanRun(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	bin := spanlakeBinary(t)
	inputs := []string{filepath.Join(captureDir, "nginx-basic.pcap")}
	rot, _ := filepath.Glob(filepath.Join(captureDir, "nginx-rotated.pcap*"))
	inputs = append(inputs, rot...)
	// One state directory for every run: it holds the key of the keyed
	// hashes, which must be the same for the warehouses to be equal.
	state := t.TempDir()
	ingestArgs := func(wh string) []string {
		return append([]string{"--log-level", "error", "ingest", "-w", wh, "--state", state}, inputs...)
	}

	clean := t.TempDir()
	start := time.Now()
	if out, err := exec.Command(bin, ingestArgs(clean)...).CombinedOutput(); err != nil {
		t.Fatalf("clean run: %v\n%s", err, out)
	}
	cleanDur := time.Since(start)
	want := tableFiles(t, clean)

	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 12; i++ {
		wh := t.TempDir()
		cmd := exec.Command(bin, ingestArgs(wh)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(cleanDur) + 1)))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		// What a reader sees now: only complete Parquet files.
		for rel, b := range tableFiles(t, wh) {
			if strings.HasSuffix(rel, ".parquet") && !strings.HasPrefix(filepath.Base(rel), ".") {
				if _, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b))); err != nil {
					t.Errorf("kill %d: visible file %s is not a complete Parquet file: %v", i, rel, err)
				}
			}
		}
		if out, err := exec.Command(bin, ingestArgs(wh)...).CombinedOutput(); err != nil {
			t.Fatalf("re-run after kill %d: %v\n%s", i, err, out)
		}
		got := tableFiles(t, wh)
		for rel, b := range want {
			if !bytes.Equal(got[rel], b) {
				t.Errorf("kill %d: %s differs from the clean run", i, rel)
			}
		}
		for rel := range got {
			if _, ok := want[rel]; !ok {
				t.Errorf("kill %d: extra file %s after the re-run", i, rel)
			}
		}
	}
}
