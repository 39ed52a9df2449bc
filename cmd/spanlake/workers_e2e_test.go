package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spanlake/spanlake/ingest/synth"
)

// TestWorkersSameWarehouse: the warehouse written with one worker (the
// sink does all the per-exchange work) and with three (the shards prepare
// each exchange's detail rows in parallel: ingest.Preparer) is the same,
// Parquet file by Parquet file, byte for byte — on synthetic keep-alive
// traffic and on the real nginx captures (forms, multipart, JSON bodies,
// credentials redacted with one shared key).
func TestWorkersSameWarehouse(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.pcap")
	if _, err := synth.WriteFile(small, synth.Config{Shape: synth.Small, Seed: 11, TargetBytes: 4 << 20, Concurrency: 200}); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	inputs := []string{small, filepath.Join(captureDir, "nginx-basic.pcap"), filepath.Join(captureDir, "nginx-rotated.pcap*")}
	trees := map[string]map[string][]byte{}
	for _, workers := range []string{"1", "3"} {
		wh := filepath.Join(dir, "wh"+workers)
		spanlake(t, 0, append([]string{"ingest", "-w", wh, "--state", state, "--workers", workers}, inputs...)...)
		trees[workers] = parquetTree(t, wh)
	}
	one, three := trees["1"], trees["3"]
	if len(one) < 10 {
		t.Fatalf("only %d Parquet files written", len(one))
	}
	if len(one) != len(three) {
		t.Errorf("%d files with 1 worker, %d with 3", len(one), len(three))
	}
	for name, b := range one {
		if !bytes.Equal(b, three[name]) {
			t.Errorf("%s differs between 1 and 3 workers", name)
		}
	}
}

// parquetTree reads every Parquet file of a warehouse (relative path to
// content), leaving out spanlake's own state.
func parquetTree(t *testing.T, wh string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(wh, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") || strings.Contains(p, "_spanlake") {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(wh, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
