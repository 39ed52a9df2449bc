package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFullDisk ingests into a warehouse on a tiny tmpfs: the run fails
// with a clear "no space" error (exit 1), no partial file is visible, and
// nothing written before is lost. Needs root (mount); skipped otherwise.
func TestFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=150k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	defer exec.Command("umount", mnt).Run()
	wh := filepath.Join(mnt, "wh")
	state := t.TempDir() // the ledger and key live elsewhere, as on a real sensor
	// A small capture fits: the warehouse is valid.
	small := filepath.Join(captureDir, "nginx-rotated.pcap4")
	spanlake(t, exitOK, "ingest", "-w", wh, "--state", state, small)
	before := tableFiles(t, wh)
	// The big one does not fit.
	var stdout, stderr bytes.Buffer
	code := run([]string{"spanlake", "ingest", "-w", wh, "--state", state, filepath.Join(captureDir, "nginx-basic.pcap")}, &stdout, &stderr)
	if code != exitFailure {
		t.Fatalf("exit code %d on a full disk, want %d; stderr:\n%s", code, exitFailure, stderr.String())
	}
	if !strings.Contains(stderr.String(), "no space left on device") {
		t.Errorf("stderr does not say the disk is full:\n%s", stderr.String())
	}
	after := tableFiles(t, wh)
	for rel, b := range after {
		if strings.HasPrefix(filepath.Base(rel), ".") {
			t.Errorf("temporary file %s left visible after the failure", rel)
		}
		if old, ok := before[rel]; ok && !bytes.Equal(old, b) {
			t.Errorf("%s changed", rel)
		}
	}
	for rel := range before {
		if _, ok := after[rel]; !ok {
			t.Errorf("%s, written by the earlier run, is gone", rel)
		}
	}
	// The failed run took back the files it had created: the warehouse is
	// the earlier one, file for file.
	for rel := range after {
		if _, ok := before[rel]; !ok {
			t.Errorf("%s, created by the failed run, is still visible", rel)
		}
	}
}
