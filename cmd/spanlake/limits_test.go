package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/spanlake/spanlake/schema"
)

// TestLimitFlags: limits reach the parser (a header cap below the sample's
// header blocks marks every exchange), --request-body-limit 0 keeps no
// request body, and unusable limits are usage errors.
func TestLimitFlags(t *testing.T) {
	pcap := filepath.Join(captureDir, "nginx-basic.pcap")
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, "--max-header-bytes", "40", "--request-body-limit", "0", pcap)
	rows := readTable[schema.FactHTTPExchange](t, wh, "fact_http_exchange")
	if len(rows) == 0 {
		t.Fatal("no exchanges")
	}
	oversized := 0
	for _, r := range rows {
		for _, a := range r.Anomalies {
			if a == "oversized_header" {
				oversized++
				break
			}
		}
	}
	if oversized == 0 {
		t.Errorf("--max-header-bytes 40: no exchange has the oversized_header anomaly")
	}
	for _, b := range readTable[schema.HTTPBody](t, wh, "http_body") {
		if b.Direction == "request" {
			t.Fatalf("--request-body-limit 0 kept a request body (exchange %d)", b.ExchangeID)
		}
	}
	// The default keeps the sample's POST bodies: the check above can fail.
	whDefault := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", whDefault, pcap)
	if len(readTable[schema.HTTPBody](t, whDefault, "http_body")) == 0 {
		t.Fatal("the sample has no request bodies with the default limit")
	}
	for _, bad := range [][]string{{"--max-connections", "0"}, {"--max-buffer", "-1"}, {"--idle-timeout", "0s"}, {"--request-body-limit", "-5"}} {
		spanlake(t, exitUsage, append(append([]string{"ingest", "-w", t.TempDir()}, bad...), pcap)...)
	}
}

// TestMemoryLimitFlag: --memory-limit sets the runtime's soft limit, 0
// removes it, a negative value is a usage error.
func TestMemoryLimitFlag(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	for _, tc := range []struct {
		arg  string
		code int
		want int64
	}{
		{"123456789", exitOK, 123456789},
		{"0", exitOK, math.MaxInt64},
		{"-1", exitUsage, -1},
	} {
		debug.SetMemoryLimit(old)
		var out, errb bytes.Buffer
		code := run([]string{"spanlake", "--memory-limit", tc.arg, "schema", "describe", "dim_date"}, &out, &errb)
		if code != tc.code {
			t.Errorf("--memory-limit %s: exit %d, want %d (%s)", tc.arg, code, tc.code, errb.String())
			continue
		}
		if got := debug.SetMemoryLimit(-1); tc.want >= 0 && got != tc.want {
			t.Errorf("--memory-limit %s: runtime limit %d, want %d", tc.arg, got, tc.want)
		}
	}
}

// TestProfileFlags: --cpuprofile and --memprofile write pprof files
// (gzip'd protocol buffers) of the command.
func TestProfileFlags(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	var out, errb bytes.Buffer
	if code := run([]string{"spanlake", "--cpuprofile", cpu, "--memprofile", mem, "schema", "describe"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: not a gzip'd profile (%d bytes, %v)", p, len(b), err)
		}
	}
	if code := run([]string{"spanlake", "--cpuprofile", filepath.Join(dir, "no", "such", "dir"), "schema", "describe"}, &out, &errb); code == exitOK {
		t.Errorf("--cpuprofile into a missing directory succeeded")
	}
}
