package logs

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

func writeParquetFile[T any](t testing.TB, path string, rows []T) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func partitionDir(us int64) string {
	t := time.UnixMicro(us).UTC()
	return fmt.Sprintf("date=%s/hour=%d", t.Format("2006-01-02"), t.Hour())
}

// writeFacts writes rows as the ETL does: one file per capture and
// partition of request_ts, each sorted by request_ts.
func writeFacts(t testing.TB, root, capture string, rows []schema.FactHTTPExchange) {
	t.Helper()
	byPart := map[string][]schema.FactHTTPExchange{}
	for _, r := range rows {
		p := partitionDir(mergeKey(&r))
		byPart[p] = append(byPart[p], r)
	}
	for p, rs := range byPart {
		sort.SliceStable(rs, func(i, j int) bool { return mergeKey(&rs[i]) < mergeKey(&rs[j]) })
		writeParquetFile(t, filepath.Join(root, "fact_http_exchange", p, "part-"+capture+"-0.parquet"), rs)
	}
}

var base = ts("2026-11-24T22:00:00Z").UnixMicro()

// randomFacts makes n exchanges on conns connections, with durations
// from microseconds to three hours, so completion order differs from
// start order and exchanges cross hour and day partitions.
func randomFacts(rng *rand.Rand, n int, capture string) []schema.FactHTTPExchange {
	rows := make([]schema.FactHTTPExchange, n)
	hosts := []string{"www.example.com", "api.example.com", "Static.Example.com:8080", ""}
	for i := range rows {
		start := base + rng.Int63n(4*3600e6)
		var dur int64
		switch rng.Intn(10) {
		case 0:
			dur = rng.Int63n(3 * 3600e6)
		case 1:
			dur = 0
		default:
			dur = rng.Int63n(5e6)
		}
		host := hosts[rng.Intn(len(hosts))]
		r := schema.FactHTTPExchange{
			ExchangeID: int64(i), ConnectionID: rng.Int63n(50), TransDepth: int32(i + 1),
			ClientIP: fmt.Sprintf("192.0.2.%d", rng.Intn(4)), ClientPort: 40000, ServerIP: "198.51.100.1", ServerPort: 80,
			Method: "GET", RequestVersion: "HTTP/1.1", URI: fmt.Sprintf("/%s/%d", capture, i), Host: host,
			StatusCode: []int32{200, 404, 500, 301}[rng.Intn(4)],
			RequestTS:  start, RequestEndTS: start + dur/10, ResponseTS: start + dur/2, ResponseEndTS: start + dur,
			ResponseBodyWireBytes: rng.Int63n(1000),
		}
		r.RequestLine = "GET " + r.URI + " HTTP/1.1"
		if host != "" {
			r.VhostKey = 1
		}
		if rng.Intn(20) == 0 {
			r.ResponseMissing, r.StatusCode, r.ResponseTS, r.ResponseEndTS = true, 0, 0, 0
		}
		if rng.Intn(50) == 0 {
			r.RequestMissing = true
		}
		rows[i] = r
	}
	return rows
}

// TestExchangesOrder checks the k-way merge with the reorder buffer
// against sorting everything in memory, over random traffic in several
// captures with long exchanges, for several --from/--to windows.
func TestExchangesOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	root := t.TempDir()
	var all []Record
	for c := 0; c < 3; c++ {
		rows := randomFacts(rng, 2000, fmt.Sprintf("cap%d", c))
		writeFacts(t, root, fmt.Sprintf("cap%d", c), rows)
		for i := range rows {
			if !rows[i].RequestMissing {
				all = append(all, record(&rows[i], nil, nil))
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := &all[i], &all[j]
		if ta, tb := a.LogTime(), b.LogTime(); !ta.Equal(tb) {
			return ta.Before(tb)
		}
		if a.ConnectionID != b.ConnectionID {
			return a.ConnectionID < b.ConnectionID
		}
		return a.TransDepth < b.TransDepth
	})
	for _, w := range []struct{ from, to string }{
		{"", ""},
		{"2026-11-24T23:30:00Z", ""},
		{"", "2026-11-25T00:30:00Z"},
		{"2026-11-25T00:00:00Z", "2026-11-25T01:00:00Z"},
		{"2026-11-25T02:30:00Z", ""},
	} {
		var sel Selection
		if w.from != "" {
			sel.From = ts(w.from)
		}
		if w.to != "" {
			sel.To = ts(w.to)
		}
		var want []int64
		for i := range all {
			lt := all[i].LogTime()
			if (sel.From.IsZero() || !lt.Before(sel.From)) && (sel.To.IsZero() || lt.Before(sel.To)) {
				want = append(want, all[i].ExchangeID<<8|all[i].ConnectionID)
			}
		}
		ex, err := OpenExchanges(root, sel)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		maxBuf := 0
		for {
			r, err := ex.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, r.ExchangeID<<8|r.ConnectionID)
			maxBuf = max(maxBuf, ex.reorder.Len())
		}
		ex.Close()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("window %v: %d lines, want %d; order differs from a full sort", w, len(got), len(want))
		}
		if len(want) > 0 && maxBuf >= len(want) {
			t.Errorf("window %v: reorder buffer held %d of %d exchanges: not bounded by concurrency", w, maxBuf, len(want))
		}
		t.Logf("window %v: %d lines, reorder buffer peak %d", w, len(got), maxBuf)
	}
}

// TestExchangesUnsortedFile: a fact file violating its sort contract is an
// error naming the file, not silently misordered output.
func TestExchangesUnsortedFile(t *testing.T) {
	root := t.TempDir()
	rows := randomFacts(rand.New(rand.NewSource(2)), 50, "x")
	for i := range rows {
		rows[i].RequestTS, rows[i].RequestMissing = base+int64(50-i)*1000, false
	}
	writeParquetFile(t, filepath.Join(root, "fact_http_exchange", partitionDir(base), "part-x-0.parquet"), rows)
	_, err := Render(root, Options{Format: "combined"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not sorted") {
		t.Errorf("err = %v, want a 'not sorted' error", err)
	}
}

func hostileHostFacts() []schema.FactHTTPExchange {
	hosts := []string{"www.example.com", "../../etc", ".hidden", "a/b\\c", "evil\r\nhost", "", "WWW.EXAMPLE.COM.:80", "[::1]:8080", "x_y%2f"}
	var rows []schema.FactHTTPExchange
	for i, h := range hosts {
		for d := 0; d < 2; d++ { // two days
			start := ts("2026-11-24T23:00:00Z").UnixMicro() + int64(d)*3600e6 + int64(i)*1e6
			r := schema.FactHTTPExchange{
				ExchangeID: int64(i*10 + d), ConnectionID: int64(i), TransDepth: int32(d + 1),
				ClientIP: "192.0.2.1", ServerIP: "198.51.100.1", ServerPort: 80,
				Method: "GET", RequestVersion: "HTTP/1.1", URI: "/", RequestLine: "GET / HTTP/1.1", Host: h, StatusCode: 200,
				RequestTS: start, ResponseEndTS: start + 1000,
			}
			if h != "" {
				r.VhostKey = int64(i + 1)
			}
			rows = append(rows, r)
		}
	}
	return rows
}

func TestSanitiseVhost(t *testing.T) {
	for in, want := range map[string]string{
		"www.example.com": "www.example.com",
		"":                NoHostDir,
		"..":              "%2E.",
		".hidden":         "%2Ehidden",
		"../../etc":       "%2E.%2F..%2Fetc",
		"a/b\\c":          "a%2Fb%5Cc",
		"evil\r\nhost":    "evil%0D%0Ahost",
		"[::1]":           "%5B%3A%3A1%5D",
		"x_y%2f":          "x%5Fy%252f",
		"é":               "%C3%A9",
	} {
		if got := SanitiseVhost(in); got != want {
			t.Errorf("SanitiseVhost(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("a", 300)
	got := SanitiseVhost(long)
	if len(got) > maxNameLen || got == SanitiseVhost(long+"b") {
		t.Errorf("long name: %q (len %d)", got, len(got))
	}
}

// TestRenderSplitOutDir renders into --out-dir split by vhost and day,
// with hostile Host headers, and checks names, contents and that no
// temporary file is left behind.
func TestRenderSplitOutDir(t *testing.T) {
	root := t.TempDir()
	writeFacts(t, root, "c", hostileHostFacts())
	for _, gz := range []bool{false, true} {
		out := t.TempDir()
		split, _ := ParseSplit([]string{"vhost,day"})
		res, err := Render(root, Options{Format: "vhost_combined", OutDir: out, SplitBy: split, Gzip: gz}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Lines != 18 {
			t.Errorf("%d lines, want 18", res.Lines)
		}
		var files []string
		filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(out, p)
				files = append(files, filepath.ToSlash(rel))
			}
			return nil
		})
		sort.Strings(files)
		sfx := ""
		if gz {
			sfx = ".gz"
		}
		var want []string
		for _, d := range []string{"%2E.%2F..%2Fetc", "%2Ehidden", "%5B%3A%3A1%5D", NoHostDir, "a%2Fb%5Cc", "evil%0D%0Ahost", "www.example.com", "x%5Fy%252f"} {
			for _, day := range []string{"2026-11-24", "2026-11-25"} {
				want = append(want, d+"/access.log-"+day+sfx)
			}
		}
		sort.Strings(want)
		if !reflect.DeepEqual(files, want) {
			t.Errorf("gzip=%v files:\n got %q\nwant %q", gz, files, want)
		}
		if len(res.Files) != len(want) {
			t.Errorf("Result.Files has %d entries, want %d", len(res.Files), len(want))
		}
		// www.example.com and WWW.EXAMPLE.COM.:80 are one vhost: 2 lines a day.
		b, err := os.ReadFile(filepath.Join(out, "www.example.com", "access.log-2026-11-24"+sfx))
		if err != nil {
			t.Fatal(err)
		}
		if gz {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		if n := strings.Count(string(b), "\n"); n != 2 {
			t.Errorf("gzip=%v: www.example.com day 1 has %d lines, want 2:\n%s", gz, n, b)
		}
	}
}

func TestRenderSplitDayOnlyAndW3C(t *testing.T) {
	root := t.TempDir()
	writeFacts(t, root, "c", hostileHostFacts())
	out := t.TempDir()
	res, err := Render(root, Options{Format: "w3c", OutDir: out, SplitBy: Split{Day: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Files, []string{"access.log-2026-11-24", "access.log-2026-11-25"}) {
		t.Errorf("files %q", res.Files)
	}
	for _, f := range res.Files {
		b, _ := os.ReadFile(filepath.Join(out, f))
		if !strings.HasPrefix(string(b), "#Software: spanlake\n#Version: 1.0\n#Date: ") || strings.Count(string(b), "\n") != 4+9 {
			t.Errorf("%s:\n%s", f, b)
		}
	}
	// Rendering again replaces the files.
	if _, err := Render(root, Options{Format: "w3c", OutDir: out, SplitBy: Split{Day: true}}, nil); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 2 {
		t.Errorf("%d entries after a second render, want 2", len(ents))
	}
}

func TestRenderStdoutGzipAndFilters(t *testing.T) {
	root := t.TempDir()
	writeFacts(t, root, "c", hostileHostFacts())
	var buf bytes.Buffer
	res, err := Render(root, Options{Format: "combined", Gzip: true, Selection: Selection{Filter: Filter{Vhosts: []string{"www.example.com"}}}}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	if res.Lines != 4 || strings.Count(string(b), "\n") != 4 {
		t.Errorf("%d lines reported, output:\n%s", res.Lines, b)
	}
}

// TestHeaderTable writes an http_header file with parquet-go in the
// column contract and renders headers the fact table does not carry.
func TestHeaderTable(t *testing.T) {
	root := t.TempDir()
	start := ts("2026-11-24T13:00:00Z").UnixMicro()
	facts := []schema.FactHTTPExchange{
		{ExchangeID: 1, ConnectionID: 1, TransDepth: 1, ClientIP: "10.0.0.1", ServerIP: "198.51.100.1", ServerPort: 80,
			Method: "GET", URI: "/a", RequestLine: "GET /a HTTP/1.1", RequestVersion: "HTTP/1.1", Host: "h.example", VhostKey: 1,
			StatusCode: 200, RequestTS: start, ResponseEndTS: start + 10},
		{ExchangeID: 2, ConnectionID: 1, TransDepth: 2, ClientIP: "10.0.0.1", ServerIP: "198.51.100.1", ServerPort: 80,
			Method: "GET", URI: "/b", RequestLine: "GET /b HTTP/1.1", RequestVersion: "HTTP/1.1", Host: "h.example", VhostKey: 1,
			StatusCode: 200, RequestTS: start + 20, ResponseEndTS: start + 30},
	}
	writeFacts(t, root, "c", facts)
	// The contract's columns only (no value_raw), rows deliberately not in
	// ordinal order, in two files.
	type contractRow struct {
		ExchangeID int64  `parquet:"exchange_id"`
		Direction  string `parquet:"direction"`
		Ordinal    int32  `parquet:"ordinal"`
		Name       string `parquet:"name"`
		Value      string `parquet:"value"`
	}
	dir := filepath.Join(root, HeaderTable, partitionDir(start))
	writeParquetFile(t, filepath.Join(dir, "part-c-0.parquet"), []contractRow{
		{1, "request", 2, "Accept", "text/html"},
		{1, "request", 1, "Host", "h.example"},
		{1, "request", 3, "Forwarded", `for=203.0.113.9`},
		{1, "request", 4, "accept", "*/*"},
		{1, "response", 2, "Content-Type", "text/plain; charset=utf-8"},
		{1, "response", 1, "Server", "nginx"},
	})
	writeParquetFile(t, filepath.Join(dir, "part-d-0.parquet"), []contractRow{
		{2, "request", 1, "Host", "h.example"},
	})
	var buf bytes.Buffer
	_, err := Render(root, Options{
		Format:    `apache:%a "%{Accept}i" "%{Content-Type}o" "%{Server}o" "%{Host}i"`,
		Selection: Selection{ClientIP: ClientIP{Source: ClientForwarded, TrustedProxies: []netipPrefix{mustPrefix("10.0.0.0/8")}}},
	}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	want := "203.0.113.9 \"text/html, */*\" \"text/plain\" \"nginx\" \"h.example\"\n" +
		"10.0.0.1 \"-\" \"-\" \"-\" \"h.example\"\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	// Without the table the fact's own headers still render.
	os.RemoveAll(filepath.Join(root, HeaderTable))
	buf.Reset()
	if _, err := Render(root, Options{Format: `nginx:$http_host "$http_accept"`}, &buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "h.example \"-\"\nh.example \"-\"\n" {
		t.Errorf("without http_header:\n%s", buf.String())
	}
}
