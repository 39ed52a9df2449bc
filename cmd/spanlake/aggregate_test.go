package main

import (
	"encoding/csv"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// nginxStatusCounts counts requests per status in nginx's own access log of
// the capture: the ground truth the rollup must match.
func nginxStatusCounts(t *testing.T) (map[string]int64, int64) {
	t.Helper()
	counts := map[string]int64{}
	var bodyBytes int64
	for _, line := range readLines(t, filepath.Join(captureDir, "nginx-basic.access.log")) {
		parts := strings.Split(line, "\"")
		if len(parts) < 3 {
			t.Fatalf("unexpected log line %q", line)
		}
		f := strings.Fields(parts[2])
		counts[f[0]]++
		n, _ := strconv.ParseInt(f[1], 10, 64)
		bodyBytes += n
	}
	return counts, bodyBytes
}

func csvRecords(t *testing.T, out string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func TestAggregateMatchesNginxLog(t *testing.T) {
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, filepath.Join(captureDir, "nginx-basic.pcap"))
	want, _ := nginxStatusCounts(t)

	check := func(name, out string) {
		t.Helper()
		got := map[string]int64{}
		for _, r := range csvRecords(t, out) {
			n, _ := strconv.ParseInt(r["requests"], 10, 64)
			got[r["status"]] += n
		}
		if len(got) != len(want) {
			t.Errorf("%s: statuses %v, nginx logged %v", name, got, want)
		}
		for s, n := range want {
			if got[s] != n {
				t.Errorf("%s: status %s: %d requests, nginx logged %d", name, s, got[s], n)
			}
		}
	}
	check("facts", spanlake(t, exitOK, "aggregate", "-w", wh, "--grain", "all", "--by", "status", "--format", "csv"))

	// Minute rollup written into the warehouse, re-aggregated to days.
	spanlake(t, exitOK, "aggregate", "-w", wh, "--grain", "minute", "--by", "vhost,status,path", "--out", wh)
	files, _ := filepath.Glob(filepath.Join(wh, "agg_http_minute", "date=*", "hour=*", "part-*.parquet"))
	if len(files) == 0 {
		t.Fatal("no agg_http_minute files written")
	}
	before, _ := os.ReadFile(files[0])
	spanlake(t, exitOK, "aggregate", "-w", wh, "--grain", "minute", "--by", "path,status,vhost", "--out", wh)
	after, _ := os.ReadFile(files[0])
	again, _ := filepath.Glob(filepath.Join(wh, "agg_http_minute", "date=*", "hour=*", "*"))
	if string(before) != string(after) || len(again) != len(files) {
		t.Error("running the same aggregation again changed the table")
	}
	check("re-aggregated", spanlake(t, exitOK, "aggregate", "-w", wh, "--input", "agg_http_minute", "--grain", "day", "--by", "status", "--format", "csv"))

	// The HTML report.
	report := filepath.Join(t.TempDir(), "report.html")
	spanlake(t, exitOK, "aggregate", "-w", wh, "--grain", "minute", "--format", "html", "--out", report)
	page, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(strings.NewReader(string(page)))
	svgs := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("report is not well formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "svg" {
			svgs++
		}
	}
	if svgs < 6 {
		t.Errorf("report has %d SVG charts, want at least 6", svgs)
	}

	// Table output, --where and --top.
	out := spanlake(t, exitOK, "aggregate", "-w", wh, "--grain", "all", "--by", "path", "--where", "status>=400", "--top", "3")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) < 2 || len(lines) > 4 || !strings.Contains(lines[0], "requests") {
		t.Errorf("table output:\n%s", out)
	}
}

func TestAggregateUsageErrors(t *testing.T) {
	wh := t.TempDir()
	for _, args := range [][]string{
		{"--by", "nope"},
		{"--grain", "week"},
		{"--where", "vhost>x"},
		{"--format", "html"},
		{"--format", "xml"},
		{"--top", "3", "--out", wh},
		{"--grain", "all", "--out", wh},
		{"--from", "2026-01-02", "--to", "2026-01-01"},
		{"--input", "nope"},
	} {
		spanlake(t, exitUsage, append([]string{"aggregate", "-w", wh}, args...)...)
	}
}
