package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/ingest/mangle"
	"github.com/spanlake/spanlake/schema"
)

// renderClean ingests the clean capture and returns its combined log.
func renderClean(t *testing.T) string {
	t.Helper()
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, filepath.Join(captureDir, "nginx-basic.pcap"))
	return spanlake(t, exitOK, "logs", "-w", wh)
}

// TestMangledCaptureSameLog is the SPAN-port property: reordering within 16
// packets (ACK before data included), 5% duplicates, overlapping identical
// re-segmentation, keep-alive probes, a VLAN tag, pcapng + gzip and a split
// into rotated files must not change a single byte of the rendered log.
func TestMangledCaptureSameLog(t *testing.T) {
	pkts, err := mangle.ReadPcap(filepath.Join(captureDir, "nginx-basic.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	clean := renderClean(t)
	for _, seed := range []uint64{1, 2, 3} {
		mangled, err := mangle.Apply(pkts, mangle.Options{Seed: seed, ReorderWindow: 16, Duplicate: 0.05, Resegment: 0.2, KeepAlive: 0.1, VLAN: 42})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if _, err := mangle.WriteFiles(dir, "span.pcapng.gz", mangled, 4, mangle.Format{PcapNG: true, Gzip: true}, seed); err != nil {
			t.Fatal(err)
		}
		wh := t.TempDir()
		spanlake(t, exitOK, "ingest", "-w", wh, dir)
		got := spanlake(t, exitOK, "logs", "-w", wh)
		if got != clean {
			gl, cl := strings.Split(got, "\n"), strings.Split(clean, "\n")
			for i := 0; i < min(len(gl), len(cl)); i++ {
				if gl[i] != cl[i] {
					t.Errorf("seed %d: first difference at line %d:\n clean:   %s\n mangled: %s", seed, i+1, cl[i], gl[i])
					break
				}
			}
			t.Fatalf("seed %d: mangled capture renders %d lines, clean %d", seed, len(gl), len(cl))
		}
	}
}

// TestDroppedSegmentsAreFlagged: with 0.2% of data segments lost, every
// exchange either equals its clean counterpart or carries a gap flag, and
// no request is ever paired with another request's response.
func TestDroppedSegmentsAreFlagged(t *testing.T) {
	pcap := filepath.Join(captureDir, "nginx-basic.pcap")
	pkts, err := mangle.ReadPcap(pcap)
	if err != nil {
		t.Fatal(err)
	}
	cleanWH := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", cleanWH, pcap)
	clean := map[string]schema.FactHTTPExchange{}
	for _, r := range readFacts(t, cleanWH) {
		clean[exchangeKey(&r)] = r
	}
	for _, seed := range []uint64{11, 12, 13, 14} {
		lossy, err := mangle.Apply(pkts, mangle.Options{Seed: seed, Drop: 0.002})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if _, err := mangle.WriteFiles(dir, "lossy.pcap", lossy, 1, mangle.Format{}, seed); err != nil {
			t.Fatal(err)
		}
		wh := t.TempDir()
		spanlake(t, exitOK, "ingest", "-w", wh, dir)
		exact, flagged := 0, 0
		for _, r := range readFacts(t, wh) {
			if hasGap(&r) {
				flagged++
				continue
			}
			c, ok := clean[exchangeKey(&r)]
			if !ok || c.RequestLine != r.RequestLine || c.StatusCode != r.StatusCode ||
				c.ResponseBodyWireBytes != r.ResponseBodyWireBytes || c.RequestBodyBytes != r.RequestBodyBytes {
				t.Errorf("seed %d: unflagged exchange differs from the clean capture:\n clean: %q %d %d\n lossy: %q %d %d",
					seed, c.RequestLine, c.StatusCode, c.ResponseBodyWireBytes, r.RequestLine, r.StatusCode, r.ResponseBodyWireBytes)
				continue
			}
			exact++
		}
		if exact == 0 {
			t.Errorf("seed %d: no exchange survived intact", seed)
		}
		t.Logf("seed %d: %d exchanges exact, %d flagged with gaps", seed, exact, flagged)
	}
}

// exchangeKey identifies an exchange across captures of the same traffic.
func exchangeKey(r *schema.FactHTTPExchange) string {
	return fmt.Sprintf("%s|%d|%d", r.ClientIP, r.ClientPort, r.TransDepth)
}

func hasGap(r *schema.FactHTTPExchange) bool {
	if r.RequestGapBytes > 0 || r.ResponseGapBytes > 0 || r.RequestMissing || r.ResponseMissing || !r.RequestComplete || !r.ResponseComplete {
		return true
	}
	for _, a := range r.Anomalies {
		if strings.Contains(a, "gap") {
			return true
		}
	}
	return false
}

func readFacts(t *testing.T, wh string) []schema.FactHTTPExchange {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(wh, "fact_http_exchange", "*", "*", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fact files in %s (%v)", wh, err)
	}
	var rows []schema.FactHTTPExchange
	for _, f := range files {
		r, err := parquet.ReadFile[schema.FactHTTPExchange](f)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r...)
	}
	return rows
}
