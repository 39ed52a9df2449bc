package main

import (
	"fmt"
	"path/filepath"
	"reflect"
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
	cleanWH := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", cleanWH, filepath.Join(captureDir, "nginx-basic.pcap"))
	cleanRows := factsByID(t, cleanWH)
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
		// Every column of every exchange equal, but the capture file keys.
		rows := factsByID(t, wh)
		if len(rows) != len(cleanRows) {
			t.Errorf("seed %d: %d exchanges, clean capture %d", seed, len(rows), len(cleanRows))
		}
		diffs := 0
		for id, c := range cleanRows {
			m, ok := rows[id]
			if !ok {
				t.Errorf("seed %d: exchange %q missing", seed, c.RequestLine)
				continue
			}
			m.SourceFileKey, c.SourceFileKey = 0, 0
			if !reflect.DeepEqual(m, c) && diffs < 5 {
				diffs++
				t.Errorf("seed %d: exchange %q differs: %s", seed, c.RequestLine, fieldDiff(c, m))
			}
		}
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

// factsByID reads fact_http_exchange keyed by exchange_id.
func factsByID(t *testing.T, wh string) map[int64]schema.FactHTTPExchange {
	t.Helper()
	m := map[int64]schema.FactHTTPExchange{}
	for _, r := range readFacts(t, wh) {
		if _, dup := m[r.ExchangeID]; dup {
			t.Errorf("exchange_id %d twice", r.ExchangeID)
		}
		m[r.ExchangeID] = r
	}
	return m
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

// fieldDiff names the fields of two rows that differ, with both values.
func fieldDiff(a, b schema.FactHTTPExchange) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for i := 0; i < va.NumField(); i++ {
		x, y := va.Field(i).Interface(), vb.Field(i).Interface()
		if !reflect.DeepEqual(x, y) {
			if p, ok := x.(*int64); ok && p != nil {
				x = *p
			}
			if p, ok := y.(*int64); ok && p != nil {
				y = *p
			}
			out = append(out, fmt.Sprintf("%s: %v → %v", va.Type().Field(i).Name, x, y))
		}
	}
	return strings.Join(out, "; ")
}
