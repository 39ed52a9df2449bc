package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoAccessParsesCombined feeds the combined log rendered from the nginx
// capture to GoAccess, a third-party log analyser, which must accept every
// line. Skipped when goaccess is not on PATH (CI installs it).
func TestGoAccessParsesCombined(t *testing.T) {
	bin, err := exec.LookPath("goaccess")
	if err != nil {
		t.Skip("goaccess not on PATH")
	}
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, filepath.Join(captureDir, "nginx-basic.pcap"))
	out := spanlake(t, exitOK, "logs", "-w", wh, "--format", "combined")
	lines := strings.Count(out, "\n")
	if lines == 0 {
		t.Fatal("no lines rendered")
	}

	report := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(bin, "-", "--log-format=COMBINED", "--no-progress", "-o", report)
	cmd.Stdin = strings.NewReader(out)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("goaccess: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	// GoAccess 1.x: general.total_requests, valid_requests and
	// failed_requests (lines it could not parse).
	var r struct {
		General struct {
			Total  *int `json:"total_requests"`
			Valid  *int `json:"valid_requests"`
			Failed *int `json:"failed_requests"`
		} `json:"general"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("goaccess JSON: %v", err)
	}
	g := r.General
	if g.Total == nil || g.Valid == nil || g.Failed == nil {
		t.Fatalf("goaccess JSON lacks general.total_requests/valid_requests/failed_requests: %.300s", b)
	}
	if *g.Failed != 0 {
		t.Errorf("goaccess failed to parse %d of %d lines", *g.Failed, lines)
	}
	if *g.Total != lines || *g.Valid != lines {
		t.Errorf("goaccess counted %d requests (%d valid), the log has %d lines", *g.Total, *g.Valid, lines)
	}
	t.Logf("goaccess: %d requests, %d valid, %d failed", *g.Total, *g.Valid, *g.Failed)
}
