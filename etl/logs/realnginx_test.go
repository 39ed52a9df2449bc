package logs

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spanlake/spanlake/etl"
	"github.com/spanlake/spanlake/ingest"
)

const captureDir = "../../testdata/captures"

// TestNginxVariablesMatchRealNginx renders the variables of nginx's
// spanlake_full log (testdata/captures/README.md) from the real capture and
// compares each with what nginx itself logged, exchange by exchange
// (matched on client port and $connection_requests). Known, documented
// differences: nginx's clocks ($time_local, $msec, $request_time), its
// $connection counter are not compared; $uri differs where nginx's index
// module redirected internally ("/" became "/index.html"); $host is "-" where nginx
// logged its configured server_name (no Host header); $request_length may
// exceed nginx's where nginx answered without reading the request body.
func TestNginxVariablesMatchRealNginx(t *testing.T) {
	pcap := filepath.Join(captureDir, "nginx-basic.pcap")
	full := filepath.Join(captureDir, "nginx-basic.full.log")
	if _, err := os.Stat(full); err != nil {
		t.Skip("no real capture:", err)
	}
	root := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wh, err := etl.OpenWarehouse(root, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Run(context.Background(), []string{pcap}, ingest.Options{Logger: log}, wh); err != nil {
		t.Fatal(err)
	}
	if err := wh.Commit(); err != nil {
		t.Fatal(err)
	}
	// nginx column (1-based) → our variable.
	cols := []struct {
		col  int
		name string
	}{
		{1, "$remote_addr"}, {2, "$remote_port"}, {3, "$remote_user"}, {7, `"$request"`}, {8, "$request_method"},
		{9, "$request_uri"}, {11, "$args"}, {12, "$server_protocol"}, {13, "$status"}, {14, "$body_bytes_sent"},
		{15, "$bytes_sent"}, {16, "$request_length"}, {18, "$host"}, {19, "$server_addr"}, {20, "$server_port"},
		{22, "$connection_requests"}, {23, "$pipe"}, {24, `"$http_referer"`}, {25, `"$http_user_agent"`},
		{27, "$request_completion"}, {28, "$http_host"},
		{10, "$uri"}, // last, so the column positions used by key() stay put
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.name)
	}
	var out bytes.Buffer
	if _, err := Render(root, Options{Format: "nginx:" + strings.Join(names, "\t")}, &out); err != nil {
		t.Fatal(err)
	}
	key := func(port, depth string) string { return port + "/" + depth }
	mine := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		f := strings.Split(line, "\t")
		mine[key(f[1], f[15])] = f
	}
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(mine) != len(lines) {
		t.Errorf("%d exchanges rendered, nginx logged %d", len(mine), len(lines))
	}
	known := 0
	for _, line := range lines {
		theirs := strings.Split(line, "\t")
		got, ok := mine[key(theirs[1], theirs[21])]
		if !ok {
			t.Errorf("nginx line has no exchange: %s", line)
			continue
		}
		for i, c := range cols {
			want := theirs[c.col-1]
			if got[i] == want {
				continue
			}
			switch {
			case c.name == "$host" && got[i] == "-":
				known++
			case c.name == "$request_length" && atoi(got[i]) > atoi(want):
				known++
			case c.name == "$uri" && strings.HasSuffix(got[i], "/") && want == got[i]+"index.html":
				known++ // nginx's index module redirected internally: not on the wire
			default:
				t.Errorf("%s on %s %s: got %q, nginx %q", c.name, theirs[1], theirs[6], got[i], want)
			}
		}
	}
	t.Logf("%d exchanges, %d variables each, %d known differences", len(lines), len(cols), known)
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}
