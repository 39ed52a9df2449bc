package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spanlake/spanlake/schema"
)

// TestTunnelsEndToEnd: an upgraded exchange carries the bytes that went
// through its tunnel in request_tunnel_bytes/response_tunnel_bytes (null
// on every other exchange), and plain-text HTTP through a CONNECT tunnel
// becomes exchanges of its own, in the warehouse and in `logs`.
func TestTunnelsEndToEnd(t *testing.T) {
	at := time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)
	connect := "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
	established := "HTTP/1.1 200 Connection established\r\n\r\n"
	clientHello := "\x16\x03\x01" + strings.Repeat("c", 514)
	serverHello := "\x16\x03\x03" + strings.Repeat("s", 97)
	get := "GET /through HTTP/1.1\r\nHost: example.com\r\n\r\n"
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	ws := "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
	switched := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"

	var frames [][]byte
	var times []time.Time
	for i, conv := range [][]string{
		{connect, established, clientHello, serverHello},
		{connect, established, get, ok},
		{ws, switched, "\x81\x85abcd12345", "\x81\x02hi"},
	} {
		f, ts := conversationPackets(t, i+1, at.Add(time.Duration(i)*time.Second), conv...)
		frames, times = append(frames, f...), append(times, ts...)
	}
	dir := t.TempDir()
	pcap := filepath.Join(dir, "tunnels.pcap")
	if err := os.WriteFile(pcap, pcapBytes(t, 65535, frames, times), 0o644); err != nil {
		t.Fatal(err)
	}
	wh := filepath.Join(dir, "wh")
	spanlake(t, 0, "ingest", "-w", wh, pcap)

	facts := readTable[schema.FactHTTPExchange](t, wh, "fact_http_exchange")
	slices.SortFunc(facts, func(a, b schema.FactHTTPExchange) int {
		return strings.Compare(a.ClientIP+a.URI, b.ClientIP+b.URI)
	})
	var got []string
	for _, f := range facts {
		s := f.ClientIP + " " + f.Method + " " + f.URI + " " + strconv.Itoa(int(f.StatusCode)) + " depth " + strconv.Itoa(int(f.TransDepth))
		if f.Upgraded {
			s += " upgraded"
		}
		if f.RequestTunnelBytes != nil {
			s += " tunnel " + strconv.Itoa(int(*f.RequestTunnelBytes)) + "/" + strconv.Itoa(int(*f.ResponseTunnelBytes))
		}
		got = append(got, s)
	}
	want := []string{
		"192.0.2.1 CONNECT example.com:443 200 depth 1 upgraded tunnel 517/100",
		"192.0.2.2 GET /through 200 depth 2",
		"192.0.2.2 CONNECT example.com:443 200 depth 1 upgraded tunnel 0/0",
		"192.0.2.3 GET /chat 101 depth 1 upgraded tunnel 11/4",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("exchanges:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out := spanlake(t, 0, "logs", "-w", wh, "--format", "json")
	if !strings.Contains(out, `"upgraded":true,"request_tunnel_bytes":517,"response_tunnel_bytes":100`) ||
		!strings.Contains(out, `"upgraded":false,"request_tunnel_bytes":null,"response_tunnel_bytes":null`) {
		t.Errorf("logs --format json lacks the tunnel bytes:\n%s", out)
	}
}
