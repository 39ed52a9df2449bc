package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spanlake/spanlake/ingest"
)

// TestProgressLogInterval: without a terminal, progress is one log line per
// interval, whatever the number of callbacks.
func TestProgressLogInterval(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cb := progressLog(log, 30*time.Second, func() time.Time { return clock })
	for i := range 100 { // 100 callbacks over 99 s: lines at 30, 60 and 90 s
		cb(ingest.Progress{File: "a.pcap", Packets: uint64(i)})
		clock = clock.Add(time.Second)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[0], "packets=30") || !strings.Contains(lines[0], "file=a.pcap") {
		t.Errorf("first line %q", lines[0])
	}
}
