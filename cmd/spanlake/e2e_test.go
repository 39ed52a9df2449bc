package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/ingest"
	"github.com/spanlake/spanlake/schema"
)

// captureDir holds the real captures made by testdata/capture/make-captures.sh.
const captureDir = "../../testdata/captures"

// spanlake runs the CLI in-process and returns stdout, failing the test on
// an unexpected exit code.
func spanlake(t *testing.T, wantCode int, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"spanlake", "--log-level", "warn"}, args...), &stdout, &stderr)
	if code != wantCode {
		t.Fatalf("spanlake %s: exit code %d, want %d\nstderr:\n%s", strings.Join(args, " "), code, wantCode, stderr.String())
	}
	return stdout.String()
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// splitStamp cuts an access-log line around its [time] field.
func splitStamp(line string) (before string, ts time.Time, after string, ok bool) {
	i := strings.IndexByte(line, '[')
	j := strings.IndexByte(line, ']')
	if i < 0 || j < i {
		return "", time.Time{}, "", false
	}
	ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", line[i+1:j])
	if err != nil {
		return "", time.Time{}, "", false
	}
	return line[:i], ts, line[j+1:], true
}

// sameLogLine reports whether two lines are identical except for their
// timestamps, which may differ by at most tolerance.
func sameLogLine(got, want string, tolerance time.Duration) bool {
	gb, gt, ga, ok1 := splitStamp(got)
	wb, wt, wa, ok2 := splitStamp(want)
	if !ok1 || !ok2 || gb != wb || ga != wa {
		return false
	}
	d := gt.Sub(wt)
	return d <= tolerance && d >= -tolerance
}

// compareLogs checks got against the server's own log, line by line. Both
// are ordered by completion time; lines that completed within the
// tolerance of each other may be written in either order by the server, so
// a line may match within a small window around its position.
func compareLogs(t *testing.T, got, want []string, tolerance time.Duration) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("spanlake rendered %d lines, the server logged %d", len(got), len(want))
	}
	const window = 8
	used := make([]bool, len(got))
	mismatches, moved := 0, 0
	for i, w := range want {
		found := -1
		for j := max(0, i-window); j < min(len(got), i+window+1); j++ {
			if !used[j] && sameLogLine(got[j], w, tolerance) {
				found = j
				break
			}
		}
		if found < 0 {
			mismatches++
			if mismatches <= 10 {
				g := "<none>"
				if i < len(got) {
					g = got[i]
				}
				t.Errorf("server line %d has no match in spanlake's output:\n server:   %s\n spanlake: %s", i+1, w, g)
			}
			continue
		}
		used[found] = true
		if found != i {
			moved++
		}
	}
	if mismatches > 0 {
		t.Errorf("%d of %d server lines unmatched", mismatches, len(want))
	}
	t.Logf("%d lines compared, %d matched at a neighbouring position (same-second completions)", len(want), moved)
}

// TestCombinedLogMatchesNginx is the end-to-end contract: ingest a real
// capture of nginx traffic and render the combined log; it must equal
// nginx's own access log line for line, timestamps within one second.
func TestCombinedLogMatchesNginx(t *testing.T) {
	combinedLogMatches(t, "nginx-basic.pcap", "nginx-basic.access.log")
}

// combinedLogMatches ingests the capture into a new warehouse, with no
// damage reported, and compares its combined log with the server's.
func combinedLogMatches(t *testing.T, capture, serverLog string) {
	t.Helper()
	want := readLines(t, filepath.Join(captureDir, serverLog))
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, filepath.Join(captureDir, capture))
	out := spanlake(t, exitOK, "logs", "-w", wh, "--format", "combined")
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	compareLogs(t, got, want, time.Second)
}

// TestDumpcapCaptureMatchesNginx ingests the pcapng dumpcap wrote of two
// interfaces with different link types (the server's veth, Ethernet, and
// "any" filtered to loopback, Linux cooked), ending in dumpcap's interface
// statistics blocks. The file is not damaged, and the combined log holds
// the requests of both interfaces, as nginx logged them.
func TestDumpcapCaptureMatchesNginx(t *testing.T) {
	combinedLogMatches(t, "nginx-dumpcap.pcapng", "nginx-dumpcap.access.log")
}

// TestReingestReplaces checks that ingesting the same capture twice gives
// the same rows, not twice as many.
func TestReingestReplaces(t *testing.T) {
	pcap := filepath.Join(captureDir, "nginx-basic.pcap")
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, pcap)
	first := spanlake(t, exitOK, "logs", "-w", wh)
	spanlake(t, exitOK, "ingest", "-w", wh, pcap)
	second := spanlake(t, exitOK, "logs", "-w", wh)
	if first != second {
		t.Fatalf("second ingest changed the log: %d bytes before, %d after", len(first), len(second))
	}
}

func TestDateRange(t *testing.T) {
	pcap := filepath.Join(captureDir, "nginx-basic.pcap")
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, pcap)
	all := strings.Split(strings.TrimSuffix(spanlake(t, exitOK, "logs", "-w", wh), "\n"), "\n")
	_, first, _, ok := splitStamp(all[0])
	if !ok {
		t.Fatalf("cannot parse %q", all[0])
	}
	// Nothing before the first line, everything from its day on.
	if out := spanlake(t, exitOK, "logs", "-w", wh, "--to", first.Format(time.RFC3339)); out != "" {
		t.Errorf("--to before the first line rendered %d bytes", len(out))
	}
	day := first.UTC().Format("2006-01-02")
	if got := strings.Count(spanlake(t, exitOK, "logs", "-w", wh, "--from", day), "\n"); got != len(all) {
		t.Errorf("--from %s rendered %d lines, want %d", day, got, len(all))
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"ingest"},
		{"logs", "--from", "yesterday"},
		{"logs", "--format", "nonsense"},
		{"schema", "ddl", "--dialect", "oracle"},
	} {
		spanlake(t, exitUsage, args...)
	}
}

func TestBadInputExitCode(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "not-a-capture.pcap")
	if err := os.WriteFile(bad, []byte("this is not a capture file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wh := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"spanlake", "ingest", "-w", wh, bad, filepath.Join(captureDir, "nginx-basic.pcap")}, &stdout, &stderr)
	if code != exitBadInput {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitBadInput, stderr.String())
	}
	if !strings.Contains(stderr.String(), "not-a-capture.pcap") {
		t.Errorf("stderr does not name the bad file:\n%s", stderr.String())
	}
	// The good capture was still ingested.
	if out := spanlake(t, exitOK, "logs", "-w", wh); strings.Count(out, "\n") == 0 {
		t.Error("no lines rendered from the good capture")
	}
}

// TestRotatedSetIsOneStream: the files of a tcpdump -G rotation, given as a
// glob in one run, are one stream; connections crossing file boundaries
// yield their exchanges once.
func TestRotatedSetIsOneStream(t *testing.T) {
	want := readLines(t, filepath.Join(captureDir, "nginx-rotated.access.log"))
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, filepath.Join(captureDir, "nginx-rotated.pcap*"))
	got := strings.Split(strings.TrimSuffix(spanlake(t, exitOK, "logs", "-w", wh), "\n"), "\n")
	compareLogs(t, got, want, time.Second)
}

// TestIncrementalRuns: a scheduled run processes only new, settled files;
// rerunning over the same directory adds nothing; a file split over two
// runs gives the rows of one run for every connection that does not cross
// the boundary.
func TestIncrementalRuns(t *testing.T) {
	spool := t.TempDir()
	src, err := filepath.Glob(filepath.Join(captureDir, "nginx-rotated.pcap*"))
	if err != nil || len(src) < 3 {
		t.Fatalf("rotated capture: %v %v", src, err)
	}
	copyTo := func(p string) { copySettled(t, p, spool, time.Now().Add(-time.Hour)) }
	wh := t.TempDir()
	for _, p := range src[:2] {
		copyTo(p)
	}
	// The newest file of the directory is assumed to be written by tcpdump.
	spanlake(t, exitOK, "ingest", "--incremental", "-w", wh, spool)
	led := readLines(t, filepath.Join(wh, "_spanlake", "state", "ledger.jsonl"))
	if len(led) != 1 {
		t.Fatalf("first run recorded %d files, want 1 (the newest waits)", len(led))
	}
	// Nothing new: nothing happens.
	spanlake(t, exitOK, "ingest", "--incremental", "-w", wh, spool)
	if n := len(readLines(t, filepath.Join(wh, "_spanlake", "state", "ledger.jsonl"))); n != 1 {
		t.Fatalf("a run without new files recorded %d files", n)
	}
	// The rest arrives; a final run takes the newest too.
	for _, p := range src[2:] {
		copyTo(p)
	}
	spanlake(t, exitOK, "ingest", "--incremental", "--include-newest", "-w", wh, spool)
	if n := len(readLines(t, filepath.Join(wh, "_spanlake", "state", "ledger.jsonl"))); n != len(src) {
		t.Fatalf("ledger lists %d files, want %d", n, len(src))
	}
	// A file still being written (modified just now) waits.
	fresh := filepath.Join(spool, "nginx-rotated.pcap9")
	b, _ := os.ReadFile(src[0])
	os.WriteFile(fresh, b, 0o644)
	spanlake(t, exitOK, "ingest", "--incremental", "--include-newest", "-w", wh, spool)
	if n := len(readLines(t, filepath.Join(wh, "_spanlake", "state", "ledger.jsonl"))); n != len(src) {
		t.Fatalf("an unsettled file was ingested (%d ledger lines)", n)
	}
}

func TestLockRefusesSecondRun(t *testing.T) {
	wh := t.TempDir()
	unlock, err := ingest.Lock(filepath.Join(wh, "_spanlake", "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"spanlake", "ingest", "-w", wh, filepath.Join(captureDir, "nginx-basic.pcap")}, &stdout, &stderr); code != exitFailure {
		t.Fatalf("exit code %d while locked, want %d", code, exitFailure)
	}
	if !strings.Contains(stderr.String(), "lock") {
		t.Errorf("stderr does not mention the lock: %s", stderr.String())
	}
}

// TestCompact: two captures give duplicate dimension members; compact
// leaves one file per dimension with one row per key, and the log is
// unchanged.
func TestCompact(t *testing.T) {
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, filepath.Join(captureDir, "nginx-basic.pcap"))
	spanlake(t, exitOK, "ingest", "-w", wh, filepath.Join(captureDir, "nginx-rotated.pcap*"))
	before := spanlake(t, exitOK, "logs", "-w", wh)
	spanlake(t, exitOK, "compact", "-w", wh)
	for _, dim := range []string{"dim_user_agent", "dim_endpoint", "dim_url"} {
		files, _ := filepath.Glob(filepath.Join(wh, dim, "*.parquet"))
		if len(files) != 1 {
			t.Errorf("%s has %d files after compact", dim, len(files))
		}
	}
	eps, err := parquet.ReadFile[schema.DimEndpoint](filepath.Join(wh, "dim_endpoint", "part-compacted.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, e := range eps {
		if seen[e.EndpointKey] {
			t.Errorf("endpoint key %d twice after compact", e.EndpointKey)
		}
		seen[e.EndpointKey] = true
	}
	if len(eps) < 2 {
		t.Errorf("only %d endpoints", len(eps))
	}
	if after := spanlake(t, exitOK, "logs", "-w", wh); after != before {
		t.Error("compact changed the rendered log")
	}
}
