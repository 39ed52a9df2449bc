package synth

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/klauspost/compress/gzip"
)

const testScale = 0.01

// hpkt is one decoded packet of a hostile capture.
type hpkt struct {
	ts       time.Time
	src, dst netip.AddrPort
	seq, ack uint32
	flags    byte
	payload  []byte
}

func (p *hpkt) has(f byte) bool { return p.flags&f != 0 }

// flowKey names one direction of a connection.
type flowKey struct{ src, dst netip.AddrPort }

// readHostile decodes every packet of a capture written by WriteHostileTo,
// checking the framing of each: Ethernet/IPv4/TCP, lengths, IP checksum.
func readHostile(t *testing.T, capture []byte) []hpkt {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Fatalf("link type %v", r.LinkType())
	}
	var eth layers.Ethernet
	var ip layers.IPv4
	var tcp layers.TCP
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip, &tcp)
	parser.IgnoreUnsupported = true
	var decoded []gopacket.LayerType
	var out []hpkt
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("packet %d: %v", len(out), err)
		}
		if ci.CaptureLength != len(data) || ci.Length != len(data) {
			t.Fatalf("packet %d: capture length %d, length %d, %d bytes", len(out), ci.CaptureLength, ci.Length, len(data))
		}
		if err := parser.DecodeLayers(data, &decoded); err != nil || len(decoded) != 3 {
			t.Fatalf("packet %d: layers %v: %v", len(out), decoded, err)
		}
		if int(ip.Length) != len(data)-14 || ip.IHL != 5 || ip.Protocol != layers.IPProtocolTCP {
			t.Fatalf("packet %d: IPv4 length %d for a %d-byte frame", len(out), ip.Length, len(data))
		}
		if ipChecksum(data[14:34]) != 0 {
			t.Fatalf("packet %d: bad IPv4 header checksum", len(out))
		}
		src, _ := netip.AddrFromSlice(ip.SrcIP)
		dst, _ := netip.AddrFromSlice(ip.DstIP)
		p := hpkt{ts: ci.Timestamp, src: netip.AddrPortFrom(src, uint16(tcp.SrcPort)), dst: netip.AddrPortFrom(dst, uint16(tcp.DstPort)),
			seq: tcp.Seq, ack: tcp.Ack, flags: data[47], payload: bytes.Clone(tcp.Payload)}
		if tcp.ACK != p.has(tcpACK) || tcp.SYN != p.has(tcpSYN) || tcp.FIN != p.has(tcpFIN) {
			t.Fatalf("packet %d: flags byte %#x disagrees with the decoded flags", len(out), p.flags)
		}
		out = append(out, p)
	}
	return out
}

// dirState follows one direction's sequence space.
type dirState struct {
	isn, next uint32
	synSeen   bool
	finSeen   bool
	stream    []byte // payload in capture order (in-order kinds only)
	sent      uint64 // payload bytes sent
}

// checkTCP checks sequence and acknowledgement numbers: every data segment
// follows the previous one of its direction (unless outOfOrder), a FIN
// comes at the end of the data, and no ACK covers bytes not yet sent. It
// returns each direction's state, the stream in capture order included.
func checkTCP(t *testing.T, pkts []hpkt, outOfOrder bool) map[flowKey]*dirState {
	t.Helper()
	dirs := map[flowKey]*dirState{}
	for i := range pkts {
		p := &pkts[i]
		k := flowKey{p.src, p.dst}
		d := dirs[k]
		if d == nil {
			d = &dirState{}
			dirs[k] = d
		}
		if p.has(tcpSYN) {
			if d.synSeen || len(p.payload) > 0 || p.has(tcpFIN) {
				t.Fatalf("packet %d: second SYN, or SYN with data or FIN", i)
			}
			d.synSeen, d.isn, d.next = true, p.seq, p.seq+1
		} else if !d.synSeen {
			t.Fatalf("packet %d: %v -> %v before its SYN", i, p.src, p.dst)
		}
		if len(p.payload) > 0 {
			if d.finSeen {
				t.Fatalf("packet %d: data after FIN", i)
			}
			if outOfOrder {
				if end := p.seq + uint32(len(p.payload)); int32(end-d.next) > 0 {
					d.next = end
				}
			} else {
				if p.seq != d.next {
					t.Fatalf("packet %d: seq %d, want %d", i, p.seq, d.next)
				}
				d.next += uint32(len(p.payload))
				d.stream = append(d.stream, p.payload...)
			}
			d.sent += uint64(len(p.payload))
		}
		if p.has(tcpFIN) {
			if p.seq+uint32(len(p.payload)) != d.next {
				t.Fatalf("packet %d: FIN at %d, data ends at %d", i, p.seq, d.next)
			}
			d.finSeen = true
			d.next++
		}
		if p.has(tcpACK) {
			peer := dirs[flowKey{p.dst, p.src}]
			if peer == nil || !peer.synSeen {
				t.Fatalf("packet %d: ACK without the peer's SYN", i)
			}
			if int32(p.ack-peer.next) > 0 || int32(p.ack-(peer.isn+1)) < 0 {
				t.Fatalf("packet %d: ACK %d outside [%d, %d]", i, p.ack, peer.isn+1, peer.next)
			}
		} else if !p.has(tcpSYN) {
			t.Fatalf("packet %d: no ACK flag outside a SYN", i)
		}
	}
	return dirs
}

func writeHostile(t *testing.T, kind HostileKind) ([]byte, Stats) {
	t.Helper()
	var b bytes.Buffer
	st, err := WriteHostileTo(&b, kind, testScale)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes != int64(b.Len()) {
		t.Fatalf("stats say %d bytes, wrote %d", st.Bytes, b.Len())
	}
	return b.Bytes(), st
}

// streams returns the streams of a connection whose client is c.
func streams(dirs map[flowKey]*dirState, client netip.AddrPort) (toServer, toClient *dirState) {
	for k, d := range dirs {
		if k.src == client {
			toServer = d
			toClient = dirs[flowKey{k.dst, k.src}]
		}
	}
	return toServer, toClient
}

// clients lists the client side of every connection (the sender of its
// SYN), in the order of their SYNs.
func clients(pkts []hpkt) []netip.AddrPort {
	var out []netip.AddrPort
	for i := range pkts {
		if pkts[i].flags == tcpSYN {
			out = append(out, pkts[i].src)
		}
	}
	return out
}

// dechunk undoes chunked transfer coding of a body that starts at b.
func dechunk(t *testing.T, b []byte) []byte {
	t.Helper()
	var out []byte
	for {
		line, rest, ok := bytes.Cut(b, []byte("\r\n"))
		if !ok {
			t.Fatal("chunked body ends inside a chunk-size line")
		}
		n, err := strconv.ParseInt(string(line), 16, 64)
		if err != nil || int64(len(rest)) < n+2 {
			t.Fatalf("bad chunk %q (%d bytes left): %v", line, len(rest), err)
		}
		if n == 0 {
			if string(rest) != "\r\n" {
				t.Fatalf("%d bytes after the last chunk", len(rest))
			}
			return out
		}
		out = append(out, rest[:n]...)
		if string(rest[n:n+2]) != "\r\n" {
			t.Fatal("chunk data not followed by CRLF")
		}
		b = rest[n+2:]
	}
}

// TestHostileDeterministic: the same kind and scale give the same bytes,
// the stats describe them, and unknown kinds or scales are refused.
func TestHostileDeterministic(t *testing.T) {
	for _, kind := range HostileKinds {
		a, sa := writeHostile(t, kind)
		b, _ := writeHostile(t, kind)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs differ", kind)
		}
		pkts := readHostile(t, a)
		if int64(len(pkts)) != sa.Packets || sa.Connections != int64(len(clients(pkts))) || sa.Exchanges == 0 {
			t.Errorf("%s: stats %+v for %d packets, %d connections", kind, sa, len(pkts), len(clients(pkts)))
		}
	}
	if _, err := WriteHostileTo(io.Discard, "nope", 1); err == nil {
		t.Error("unknown kind accepted")
	}
	for _, s := range []float64{0, -1, 1000} {
		if _, err := WriteHostileTo(io.Discard, SYNFlood, s); err == nil {
			t.Errorf("scale %v accepted", s)
		}
	}
	if HostileCount(SYNFlood, 1) != 1_000_000 || HostileCount(SYNFlood, 1e-9) != 1 || HostileCount("nope", 1) != 0 {
		t.Error("HostileCount")
	}
}

func TestHostileSYNFlood(t *testing.T) {
	capture, _ := writeHostile(t, SYNFlood)
	pkts := readHostile(t, capture)
	dirs := checkTCP(t, pkts, false)
	n := HostileCount(SYNFlood, testScale)
	flood := map[netip.AddrPort]bool{}
	legit := 0
	for _, c := range clients(pkts) {
		toServer, toClient := streams(dirs, c)
		if toClient == nil { // never answered
			if toServer.sent != 0 || c.Addr().As4()[0] != 100 {
				t.Fatalf("flood SYN from %v sent data", c)
			}
			flood[c] = true
			continue
		}
		if !bytes.HasPrefix(toClient.stream, []byte("HTTP/1.1 ")) || !toServer.finSeen || !toClient.finSeen {
			t.Errorf("legitimate connection %v: response %.20q, FINs %v %v", c, toClient.stream, toServer.finSeen, toClient.finSeen)
		}
		legit++
	}
	if int64(len(flood)) != n || int64(legit) != n/SYNFloodLegitEvery {
		t.Errorf("%d distinct unanswered SYNs, %d legitimate connections; want %d and %d", len(flood), legit, n, n/SYNFloodLegitEvery)
	}
}

func TestHostileTinyOutOfOrder(t *testing.T) {
	capture, _ := writeHostile(t, TinyOutOfOrder)
	pkts := readHostile(t, capture)
	dirs := checkTCP(t, pkts, true)
	n := int(HostileCount(TinyOutOfOrder, testScale))
	cs := clients(pkts)
	if len(cs) != 1 {
		t.Fatalf("%d connections", len(cs))
	}
	toServer, toClient := streams(dirs, cs[0])
	// Rebuild the body from the 1-byte segments.
	var header []byte
	var base uint32
	seen := make([]bool, n)
	reversals, ones := 0, 0
	prev := -1
	for i := range pkts {
		p := &pkts[i]
		if p.src != cs[0] || len(p.payload) == 0 {
			continue
		}
		if header == nil {
			header, base = p.payload, p.seq+uint32(len(p.payload))
			continue
		}
		off := int(p.seq - base)
		if len(p.payload) != 1 || off < 0 || off >= n || seen[off] || p.payload[0] != 'a'+byte(off%26) {
			t.Fatalf("body segment at offset %d: %q", off, p.payload)
		}
		seen[off] = true
		ones++
		if off < prev {
			reversals++
		}
		prev = off
	}
	if !bytes.Contains(header, []byte("Content-Length: "+strconv.Itoa(n)+"\r\n\r\n")) {
		t.Errorf("request header %q", header)
	}
	windows := (n + TinyOOOWindow - 1) / TinyOOOWindow
	stuck := windows * 3 / 4
	holes := 1
	for k := 4; k < stuck; k += 8 {
		holes++
	}
	if windows < 8 || ones != n-holes || reversals < ones/2 {
		t.Errorf("%d windows, %d of %d body bytes sent (want %d holes), %d sent below the previous one", windows, ones, n, holes, reversals)
	}
	// The server acknowledges up to the never-filled hole and no further.
	var lastAck uint32
	for i := range pkts {
		if pkts[i].src != cs[0] && pkts[i].has(tcpACK) {
			lastAck = pkts[i].ack
		}
	}
	if off := int(lastAck - base); off < stuck*TinyOOOWindow || off >= (stuck+1)*TinyOOOWindow || seen[off] {
		t.Errorf("the server's last ACK is at body offset %d, want the hole in window %d", off, stuck)
	}
	if !toServer.finSeen || !toClient.finSeen || toClient.sent == 0 {
		t.Error("the connection does not end with a response and FINs")
	}
}

func TestHostileNeverCloses(t *testing.T) {
	capture, st := writeHostile(t, NeverCloses)
	pkts := readHostile(t, capture)
	dirs := checkTCP(t, pkts, false)
	n := HostileCount(NeverCloses, testScale)
	cs := clients(pkts)
	long, _ := streams(dirs, cs[0])
	// Every request line, and nothing else, has this path (the random
	// text of bodies and header values has no '/').
	requests := bytes.Count(long.stream, []byte(" /api/v1/items/"))
	if int64(requests) != n || long.finSeen {
		t.Errorf("the long connection has %d requests (want %d), FIN %v", requests, n, long.finSeen)
	}
	for _, p := range pkts {
		if p.src == cs[0] || p.dst == cs[0] {
			if p.has(tcpFIN) {
				t.Fatal("the long connection closes")
			}
		}
	}
	span := pkts[len(pkts)-1].ts.Sub(pkts[0].ts)
	if span < time.Duration(n)*time.Second || int64(len(cs)) != 1+n/NeverClosesOtherEvery || st.Exchanges != n+n/NeverClosesOtherEvery {
		t.Errorf("capture spans %v, %d connections, stats %+v", span, len(cs), st)
	}
	for _, c := range cs[1:] {
		if toServer, toClient := streams(dirs, c); !toServer.finSeen || !toClient.finSeen {
			t.Errorf("short connection %v does not close", c)
		}
	}
}

func TestHostileHugeContentLength(t *testing.T) {
	capture, _ := writeHostile(t, HugeContentLength)
	pkts := readHostile(t, capture)
	dirs := checkTCP(t, pkts, false)
	cs := clients(pkts)
	toServer, toClient := streams(dirs, cs[0])
	head, body, ok := bytes.Cut(toServer.stream, []byte("\r\n\r\n"))
	if len(cs) != 1 || !ok || !bytes.Contains(head, []byte("\r\nContent-Length: 10000000000")) {
		t.Fatalf("%d connections, request header %q", len(cs), head)
	}
	if int64(len(body)) != HostileCount(HugeContentLength, testScale) || toClient.sent != 0 || toServer.finSeen || toClient.finSeen {
		t.Errorf("%d body bytes, %d response bytes, FINs %v %v", len(body), toClient.sent, toServer.finSeen, toClient.finSeen)
	}
}

func TestHostileHeaderFlood(t *testing.T) {
	capture, _ := writeHostile(t, HeaderFlood)
	pkts := readHostile(t, capture)
	dirs := checkTCP(t, pkts, false)
	cs := clients(pkts)
	if int64(len(cs)) != HostileCount(HeaderFlood, testScale) {
		t.Fatalf("%d connections", len(cs))
	}
	for _, c := range cs {
		toServer, toClient := streams(dirs, c)
		first, after, ok := bytes.Cut(toServer.stream, []byte("\r\n\r\n"))
		lines := bytes.Split(first, []byte("\r\n"))
		flood := 0
		for i, l := range lines[3:] {
			if string(l) != fmt.Sprintf("X-H-%d: v", i) {
				t.Fatalf("header line %d: %q", i, l)
			}
			flood++
		}
		if !ok || flood != HeaderFloodLines || string(after) != "GET /after HTTP/1.1\r\nHost: flood.example.com\r\nUser-Agent: header-flood\r\n\r\n" {
			t.Errorf("%v: %d flood lines, then %q", c, flood, after)
		}
		if !strings.HasPrefix(string(toClient.stream), "HTTP/1.1 431 ") || !toServer.finSeen {
			t.Errorf("%v: response %.30q", c, toClient.stream)
		}
	}
}

func testBomb(t *testing.T, kind HostileKind) {
	capture, _ := writeHostile(t, kind)
	pkts := readHostile(t, capture)
	dirs := checkTCP(t, pkts, false)
	toServer, toClient := streams(dirs, clients(pkts)[0])
	msg := toServer.stream
	if kind == GzipBombResponse {
		msg = toClient.stream
	}
	head, body, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !ok || !bytes.Contains(head, []byte("\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked")) {
		t.Fatalf("header %q", head)
	}
	zr, err := gzip.NewReader(bytes.NewReader(dechunk(t, body)))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	buf := make([]byte, 1<<20)
	br := bufio.NewReaderSize(zr, 1<<20)
	for {
		k, err := br.Read(buf)
		if bytes.ContainsFunc(buf[:k], func(r rune) bool { return r != 0 }) {
			t.Fatal("the bomb decompresses to something else than zeros")
		}
		n += int64(k)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := HostileCount(kind, testScale); n != want || int64(len(body))*100 > want {
		t.Errorf("%d compressed bytes decompress to %d, want %d at a ratio above 100", len(body), n, want)
	}
}

func TestHostileGzipBombRequest(t *testing.T)  { testBomb(t, GzipBombRequest) }
func TestHostileGzipBombResponse(t *testing.T) { testBomb(t, GzipBombResponse) }

func TestHostileDeepPipeline(t *testing.T) {
	capture, _ := writeHostile(t, DeepPipeline)
	pkts := readHostile(t, capture)
	dirs := checkTCP(t, pkts, false)
	cs := clients(pkts)
	toServer, toClient := streams(dirs, cs[0])
	n := int(HostileCount(DeepPipeline, testScale))
	if got := bytes.Count(toServer.stream, []byte("GET /pipe/")); got != n {
		t.Errorf("%d requests, want %d", got, n)
	}
	if got := bytes.Count(toClient.stream, []byte("HTTP/1.1 200 OK\r\n")); got != n {
		t.Errorf("%d responses, want %d", got, n)
	}
	// Every request is captured before the first response byte.
	lastReq, firstResp := -1, -1
	for i := range pkts {
		if len(pkts[i].payload) == 0 {
			continue
		}
		if pkts[i].src == cs[0] {
			lastReq = i
		} else if firstResp < 0 {
			firstResp = i
		}
	}
	if firstResp < lastReq {
		t.Errorf("a response (packet %d) precedes the last request (packet %d)", firstResp, lastReq)
	}
	if !toServer.finSeen || !toClient.finSeen {
		t.Error("the connection does not close")
	}
}
