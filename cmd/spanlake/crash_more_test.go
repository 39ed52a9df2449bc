package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Crash safety of the commands that rewrite or add files after ingest:
// each is killed with SIGKILL at random points within its clean duration;
// every file a reader can see must then be complete (and be a file of the
// state before or after the command), and a re-run must leave exactly what
// a clean run leaves.

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// splitVisible separates what readers see from hidden (temporary) files.
func splitVisible(files map[string][]byte) (visible, hidden map[string][]byte) {
	visible, hidden = map[string][]byte{}, map[string][]byte{}
	for rel, b := range files {
		if strings.HasPrefix(filepath.Base(rel), ".") {
			hidden[rel] = b
		} else {
			visible[rel] = b
		}
	}
	return visible, hidden
}

// checkComplete fails for a visible file that is not a whole Parquet file
// or gzip stream.
func checkComplete(t *testing.T, kill int, rel string, b []byte) {
	t.Helper()
	switch {
	case strings.HasSuffix(rel, ".parquet"):
		if _, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b))); err != nil {
			t.Errorf("kill %d: visible file %s is not a complete Parquet file: %v", kill, rel, err)
		}
	case strings.HasSuffix(rel, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err == nil {
			_, err = io.Copy(io.Discard, zr)
		}
		if err != nil {
			t.Errorf("kill %d: visible file %s is not a complete gzip stream: %v", kill, rel, err)
		}
	}
}

// crashCase describes one command to kill.
type crashCase struct {
	// args are the command's arguments; work is a fresh copy of the
	// template directory.
	args func(work string) []string
	// out is the directory whose files are compared.
	out func(work string) string
	// allowed reports whether a visible file may exist after a kill with
	// content b: the state before the command or after a clean run.
	allowed func(rel string, b []byte, before, clean map[string][]byte) bool
	// afterKill runs extra checks on the killed state.
	afterKill func(t *testing.T, kill int, work string)
}

func killAndRerun(t *testing.T, template string, c crashCase, kills int, seed uint64) {
	t.Helper()
	bin := spanlakeBinary(t)
	fresh := func() string {
		w := t.TempDir()
		copyTree(t, template, w)
		return w
	}
	runClean := func(work string) {
		t.Helper()
		if out, err := exec.Command(bin, c.args(work)...).CombinedOutput(); err != nil {
			t.Fatalf("spanlake %s: %v\n%s", strings.Join(c.args(work), " "), err, out)
		}
	}
	probe := fresh()
	before, _ := splitVisible(tableFiles(t, c.out(probe)))
	start := time.Now()
	runClean(probe)
	cleanDur := time.Since(start)
	clean, hidden := splitVisible(tableFiles(t, c.out(probe)))
	if len(hidden) > 0 {
		t.Fatalf("clean run left hidden files: %v", keys(hidden))
	}
	t.Logf("clean run: %v, %d visible files", cleanDur, len(clean))

	rng := rand.New(rand.NewPCG(seed, 7))
	leftovers, midway := 0, 0
	for i := 0; i < kills; i++ {
		work := fresh()
		cmd := exec.Command(bin, c.args(work)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(cleanDur) + 1)))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		visible, hidden := splitVisible(tableFiles(t, c.out(work)))
		for rel, b := range visible {
			checkComplete(t, i, rel, b)
			if !c.allowed(rel, b, before, clean) {
				t.Errorf("kill %d: visible file %s is neither the one before the command nor the clean run's", i, rel)
			}
		}
		if !sameFiles(visible, before) && !sameFiles(visible, clean) {
			midway++ // killed while committing: some files new, some not
		}
		if c.afterKill != nil {
			c.afterKill(t, i, work)
		}
		runClean(work)
		got, stillHidden := splitVisible(tableFiles(t, c.out(work)))
		for rel, b := range clean {
			if !bytes.Equal(got[rel], b) {
				t.Errorf("kill %d: %s differs from the clean run after the re-run", i, rel)
			}
		}
		for rel := range got {
			if _, ok := clean[rel]; !ok {
				t.Errorf("kill %d: extra file %s after the re-run", i, rel)
			}
		}
		// Temporary files of the killed process are hidden from readers,
		// and the re-run removes them: the directory is then exactly the
		// clean run's.
		if len(hidden) > 0 {
			leftovers++
		}
		if len(stillHidden) > 0 {
			t.Errorf("kill %d: the re-run left %d hidden temporary files: %v", i, len(stillHidden), keys(stillHidden))
		}
	}
	t.Logf("%d of %d kills hit the command while it was replacing files; %d left hidden temporary files, which the re-run removed", midway, kills, leftovers)
}

func sameFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for rel, x := range a {
		if y, ok := b[rel]; !ok || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// ingestedWarehouse ingests nginx-basic and then the rotated set into a
// new warehouse (two runs: their dimension files share members).
func ingestedWarehouse(t *testing.T) string {
	t.Helper()
	bin := spanlakeBinary(t)
	wh := t.TempDir()
	rot, _ := filepath.Glob(filepath.Join(captureDir, "nginx-rotated.pcap*"))
	for _, args := range [][]string{
		{"ingest", "-w", wh, filepath.Join(captureDir, "nginx-basic.pcap")},
		append([]string{"ingest", "-w", wh}, rot...),
	} {
		if out, err := exec.Command(bin, append([]string{"--log-level", "error"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	return wh
}

func renderLog(t *testing.T, wh string) string {
	t.Helper()
	out, err := exec.Command(spanlakeBinary(t), "--log-level", "error", "logs", "-w", wh).Output()
	if err != nil {
		t.Fatalf("logs -w %s: %v", wh, err)
	}
	return string(out)
}

func TestKilledCompactThenRerunEqualsCleanRun(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	template := ingestedWarehouse(t)
	wantLog := renderLog(t, template)
	killAndRerun(t, template, crashCase{
		args: func(wh string) []string { return []string{"--log-level", "error", "compact", "-w", wh} },
		out:  func(wh string) string { return wh },
		allowed: func(rel string, b []byte, before, clean map[string][]byte) bool {
			return bytes.Equal(b, before[rel]) || bytes.Equal(b, clean[rel])
		},
		// Queries are right with or without compaction, so also half-way.
		afterKill: func(t *testing.T, kill int, wh string) {
			if got := renderLog(t, wh); got != wantLog {
				t.Errorf("kill %d: the log of a half-compacted warehouse differs", kill)
			}
		},
	}, 10, 3)
}

func TestKilledAggregateThenRerunEqualsCleanRun(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	template := ingestedWarehouse(t)
	killAndRerun(t, template, crashCase{
		args: func(wh string) []string {
			return []string{"--log-level", "error", "aggregate", "-w", wh, "--grain", "minute", "--by", "vhost,status", "--out", wh}
		},
		out: func(wh string) string { return wh },
		allowed: func(rel string, b []byte, before, clean map[string][]byte) bool {
			return bytes.Equal(b, before[rel]) || bytes.Equal(b, clean[rel])
		},
	}, 10, 4)
}

func TestKilledSplitLogsThenRerunEqualsCleanRun(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	template := t.TempDir()
	copyTree(t, ingestedWarehouse(t), filepath.Join(template, "wh"))
	killAndRerun(t, template, crashCase{
		args: func(work string) []string {
			return []string{"--log-level", "error", "logs", "-w", filepath.Join(work, "wh"), "--out-dir", filepath.Join(work, "logs"),
				"--split-by", "vhost,day", "--gzip"}
		},
		out: func(work string) string {
			d := filepath.Join(work, "logs")
			os.MkdirAll(d, 0o755)
			return d
		},
		// A log file, once visible, is the clean run's file.
		allowed: func(rel string, b []byte, _, clean map[string][]byte) bool { return bytes.Equal(b, clean[rel]) },
	}, 10, 5)
}
