package synth

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/klauspost/compress/gzip"
)

// HostileKind names a hostile capture written by WriteHostile: traffic
// built to exhaust a decoder's memory or time. Each is valid
// Ethernet/IPv4/TCP with correct sequence and acknowledgement numbers,
// written with the same framing as Write.
type HostileKind string

const (
	// SYNFlood: HostileCount SYNs (1,000,000 at scale 1) from distinct
	// client addresses to port 80, never answered, with one complete
	// legitimate exchange on its own connection after every
	// SYNFloodLegitEvery SYNs.
	SYNFlood HostileKind = "syn-flood"
	// TinyOutOfOrder: one connection whose POST body (HostileCount bytes,
	// 2,000,000 at scale 1) is sent as 1-byte segments, delivered in windows
	// of TinyOOOWindow segments, in reverse order in even windows and
	// shuffled in odd ones. Every eighth window (4, 12, 20, ...) loses one
	// segment the server acknowledges anyway (capture loss); from window
	// 3/4 of the way on, one segment is never sent and the server's
	// acknowledgement stays at it, so everything after it is held out of
	// order until the connection ends. The server answers 413 and both
	// sides close.
	TinyOutOfOrder HostileKind = "tiny-ooo"
	// NeverCloses: one keep-alive connection carrying HostileCount
	// request/response exchanges (100,000 at scale 1), one per second of
	// capture time (about 28 hours), that never sends FIN or RST; every
	// NeverClosesOtherEvery exchanges a short connection with one exchange
	// opens and closes beside it.
	NeverCloses HostileKind = "never-closes"
	// HugeContentLength: a PUT with Content-Length: 10000000000 followed by
	// HostileCount body bytes (64 MiB at scale 1); then the capture ends,
	// with no response and no FIN.
	HugeContentLength HostileKind = "huge-content-length"
	// HeaderFlood: HostileCount connections (100 at scale 1), interleaved,
	// each sending a GET with HeaderFloodLines header lines (always
	// 100,000, about 1.3 MB). The server answers 431 and keeps the
	// connection, which then carries "GET /after" answered 200 OK, and
	// closes.
	HeaderFlood HostileKind = "header-flood"
	// GzipBombRequest: a POST with Content-Encoding: gzip (chunked) whose
	// body is a real gzip stream of HostileCount zero bytes (10 GiB at
	// scale 1; about 10 MB compressed), answered 200 OK.
	GzipBombRequest HostileKind = "gzip-bomb-request"
	// GzipBombResponse: a GET answered 200 OK with Content-Encoding: gzip
	// (chunked) and a body that is a real gzip stream of HostileCount zero
	// bytes (10 GiB at scale 1).
	GzipBombResponse HostileKind = "gzip-bomb-response"
	// DeepPipeline: one connection on which the client pipelines
	// HostileCount GET requests (10,000 at scale 1) before the server sends
	// any response; then the server sends the HostileCount responses, in
	// order, and both sides close.
	DeepPipeline HostileKind = "deep-pipeline"
	// Slowloris: HostileCount connections (500,000 at scale 1) from
	// distinct client addresses, each completing its handshake and sending
	// the start of a request (start line and a few header bytes, no end of
	// the header block), then nothing, never closed. Among them,
	// SlowlorisKeepAlive legitimate keep-alive connections, opened first
	// (each with an exchange) and closed last, carry one more complete
	// exchange after every SYNFloodLegitEvery flooding connections, in turn: each sits idle
	// while thousands of flooding connections arrive, as a real client
	// between two requests would. Unlike the SYN flood every flow is an
	// open connection with an HTTP parser and a partial header block, the
	// most memory a flow can hold without out-of-order data.
	Slowloris HostileKind = "slowloris"
)

// HostileKinds lists every kind, in the order benchmarks report them.
var HostileKinds = []HostileKind{SYNFlood, TinyOutOfOrder, NeverCloses, HugeContentLength, HeaderFlood,
	GzipBombRequest, GzipBombResponse, DeepPipeline, Slowloris}

// Fixed shapes of the hostile captures (they do not depend on the scale).
const (
	// SYNFloodLegitEvery: one legitimate exchange per this many SYNs.
	SYNFloodLegitEvery = 1000
	// TinyOOOWindow: segments per reordering window of TinyOutOfOrder.
	TinyOOOWindow = 1024
	// NeverClosesOtherEvery: one short connection per this many exchanges
	// of the connection that never closes.
	NeverClosesOtherEvery = 60
	// HugeDeclaredLength is the Content-Length of HugeContentLength.
	HugeDeclaredLength = 10_000_000_000
	// SlowlorisKeepAlive: legitimate keep-alive connections in Slowloris.
	SlowlorisKeepAlive = 4
	// HeaderFloodLines: header lines of each HeaderFlood request.
	HeaderFloodLines = 100_000
)

// hostileFull is the HostileCount of each kind at scale 1.
var hostileFull = map[HostileKind]float64{
	SYNFlood:          1_000_000,
	TinyOutOfOrder:    2_000_000,
	NeverCloses:       100_000,
	HugeContentLength: 64 << 20,
	HeaderFlood:       100,
	GzipBombRequest:   10 << 30,
	GzipBombResponse:  10 << 30,
	DeepPipeline:      10_000,
	Slowloris:         500_000,
}

// HostileCount is the size parameter of kind at scale (full size times
// scale, rounded, at least 1): SYNs, 1-byte segments, exchanges of the
// connection that never closes, body bytes, flooding connections,
// decompressed bytes or pipelined requests (see each kind). It is 0 for an
// unknown kind.
func HostileCount(kind HostileKind, scale float64) int64 {
	full, ok := hostileFull[kind]
	if !ok {
		return 0
	}
	return max(1, int64(math.Round(full*scale)))
}

// WriteHostile writes the hostile capture kind at scale (1 = full size;
// 0.01 shrinks it a hundredfold for tests) to path.
func WriteHostile(path string, kind HostileKind, scale float64) (Stats, error) {
	f, err := os.Create(path)
	if err != nil {
		return Stats{}, fmt.Errorf("cannot create capture %s: %w", path, err)
	}
	st, err := WriteHostileTo(f, kind, scale)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("cannot close capture %s: %w", path, cerr)
	}
	return st, err
}

// WriteHostileTo writes the hostile capture kind at scale as a pcap
// (microsecond timestamps, Ethernet) to w. The same kind and scale always
// give the same bytes. Memory stays small whatever the scale: every kind
// is generated as it is written.
func WriteHostileTo(w io.Writer, kind HostileKind, scale float64) (Stats, error) {
	if _, ok := hostileFull[kind]; !ok {
		return Stats{}, fmt.Errorf("synth: unknown hostile kind %q", kind)
	}
	if !(scale > 0) || scale > 100 {
		return Stats{}, fmt.Errorf("synth: hostile scale %v out of (0, 100]", scale)
	}
	var seed uint64 = 0x5eed
	for _, b := range []byte(kind) {
		seed = seed*131 + uint64(b)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	g := &gen{cfg: Config{Shape: Small, Seed: seed, Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), pw: pcapgo.NewWriter(bw)}
	g.now = g.cfg.Start
	if err := g.pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return Stats{}, fmt.Errorf("synth: cannot write pcap header: %w", err)
	}
	g.st.Bytes = 24
	// Text for the ordinary requests and responses around the hostile ones
	// (gen.request and gen.response of the Small shape).
	const text = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}\":,"
	g.pool = make([]byte, 64<<10)
	for i := range g.pool {
		g.pool[i] = text[g.rng.IntN(len(text))]
	}
	h := &hgen{g: g, n: HostileCount(kind, scale)}
	switch kind {
	case SYNFlood:
		h.synFlood()
	case TinyOutOfOrder:
		h.tinyOutOfOrder()
	case NeverCloses:
		h.neverCloses()
	case HugeContentLength:
		h.hugeContentLength()
	case HeaderFlood:
		h.headerFlood()
	case GzipBombRequest:
		h.gzipBomb(true)
	case GzipBombResponse:
		h.gzipBomb(false)
	case DeepPipeline:
		h.deepPipeline()
	case Slowloris:
		h.slowloris()
	}
	if g.err != nil {
		return g.st, g.err
	}
	if err := bw.Flush(); err != nil {
		return g.st, fmt.Errorf("synth: cannot write capture: %w", err)
	}
	return g.st, nil
}

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpPSH = 0x08
	tcpACK = 0x10
)

// hgen writes one hostile capture with gen's packet writer (gen.emit).
type hgen struct {
	g     *gen
	n     int64  // HostileCount
	conns uint32 // connections opened, for their addresses
}

// hostileServer is the address every hostile connection talks to.
var hostileServer = [4]byte{10, 0, 0, 80}

// newConn returns a connection from a client address of its own to the
// server's port 80, without writing anything.
func (h *hgen) newConn() *conn {
	n := h.conns
	h.conns++
	h.g.st.Connections++
	return &conn{
		client: [4]byte{192, 168, byte(n >> 8), byte(n)},
		server: hostileServer,
		cport:  uint16(20000 + n%40000),
		sport:  80,
		cseq:   h.g.rng.Uint32(),
		sseq:   h.g.rng.Uint32(),
	}
}

// open writes a new connection's three-way handshake.
func (h *hgen) open() *conn {
	c := h.newConn()
	g := h.g
	g.emit(c, true, tcpSYN, c.cseq, 0, nil)
	c.cseq++
	g.emit(c, false, tcpSYN|tcpACK, c.sseq, c.cseq, nil)
	c.sseq++
	g.emit(c, true, tcpACK, c.cseq, c.sseq, nil)
	return c
}

// close writes the client's FIN, the server's FIN and the last ACK.
func (h *hgen) close(c *conn) {
	g := h.g
	g.emit(c, true, tcpFIN|tcpACK, c.cseq, c.sseq, nil)
	c.cseq++
	g.emit(c, false, tcpFIN|tcpACK, c.sseq, c.cseq, nil)
	c.sseq++
	g.emit(c, true, tcpACK, c.cseq, c.sseq, nil)
}

// ack writes a pure ACK from one side acknowledging all the peer sent.
func (h *hgen) ack(c *conn, fromClient bool) {
	if fromClient {
		h.g.emit(c, true, tcpACK, c.cseq, c.sseq, nil)
	} else {
		h.g.emit(c, false, tcpACK, c.sseq, c.cseq, nil)
	}
}

// segment writes one data segment of p from one side and advances its
// sequence number.
func (h *hgen) segment(c *conn, fromClient bool, flags byte, p []byte) {
	if fromClient {
		h.g.emit(c, true, flags, c.cseq, c.sseq, p)
		c.cseq += uint32(len(p))
	} else {
		h.g.emit(c, false, flags, c.sseq, c.cseq, p)
		c.sseq += uint32(len(p))
	}
}

// send writes a whole message from one side (see sender).
func (h *hgen) send(c *conn, fromClient bool, msg []byte) {
	s := h.sender(c, fromClient)
	s.Write(msg)
	s.Flush()
}

// sender returns a writer of one side's byte stream on c.
func (h *hgen) sender(c *conn, fromClient bool) *sender {
	return &sender{h: h, c: c, client: fromClient, pend: make([]byte, 0, mss)}
}

// sender cuts one side's byte stream into full MSS segments as it is
// written, the peer ACKing every second one (delayed ACKs); Flush writes
// the rest with PSH and the peer's ACK. It holds at most one segment.
type sender struct {
	h      *hgen
	c      *conn
	client bool
	pend   []byte
	segs   int
}

// Write implements io.Writer; it never fails (errors are kept in gen).
func (s *sender) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(mss-len(s.pend), len(p))
		s.pend = append(s.pend, p[:k]...)
		p = p[k:]
		if len(s.pend) == mss {
			s.h.segment(s.c, s.client, tcpACK, s.pend)
			s.pend = s.pend[:0]
			if s.segs++; s.segs == 2 {
				s.h.ack(s.c, !s.client)
				s.segs = 0
			}
		}
	}
	return n, s.h.g.err
}

// Flush writes what is pending with PSH, and the peer's ACK.
func (s *sender) Flush() {
	if len(s.pend) > 0 {
		s.h.segment(s.c, s.client, tcpACK|tcpPSH, s.pend)
		s.pend = s.pend[:0]
	}
	s.h.ack(s.c, !s.client)
	s.segs = 0
}

// exchange writes one ordinary request and its response (the Small shape
// of Write) on c.
func (h *hgen) exchange(c *conn) {
	h.send(c, true, h.g.request())
	h.send(c, false, h.g.response())
	h.g.st.Exchanges++
}

func (h *hgen) synFlood() {
	for i := int64(0); i < h.n && h.g.err == nil; i++ {
		c := h.floodConn(i)
		h.g.emit(c, true, tcpSYN, c.cseq, 0, nil)
		h.legitAfter(i)
	}
}

// floodConn returns flooding connection i. Client addresses are in
// 100.64.0.0/10, one per connection, so each is a flow of its own.
func (h *hgen) floodConn(i int64) *conn {
	h.g.st.Connections++
	return &conn{
		client: [4]byte{100, 64 | byte(i>>16)&63, byte(i >> 8), byte(i)},
		server: hostileServer,
		cport:  uint16(1024 + h.g.rng.IntN(64000)),
		sport:  80,
		cseq:   h.g.rng.Uint32(),
	}
}

// legitAfter writes a complete legitimate exchange on a connection of its
// own after every SYNFloodLegitEvery flooding connections.
func (h *hgen) legitAfter(i int64) {
	if (i+1)%SYNFloodLegitEvery == 0 {
		l := h.open()
		h.exchange(l)
		h.close(l)
	}
}

func (h *hgen) slowloris() {
	g := h.g
	keep := make([]*conn, SlowlorisKeepAlive)
	for j := range keep {
		keep[j] = h.open()
		h.exchange(keep[j]) // a client opens a connection to send a request
	}
	for i := int64(0); i < h.n && g.err == nil; i++ {
		c := h.floodConn(i)
		c.sseq = g.rng.Uint32()
		g.emit(c, true, tcpSYN, c.cseq, 0, nil)
		c.cseq++
		g.emit(c, false, tcpSYN|tcpACK, c.sseq, c.cseq, nil)
		c.sseq++
		g.emit(c, true, tcpACK, c.cseq, c.sseq, nil)
		h.segment(c, true, tcpACK|tcpPSH, []byte("GET /slow/"+strconv.FormatInt(i, 10)+" HTTP/1.1\r\nHost: slow.example.com\r\nX-a: "))
		h.ack(c, false)
		if (i+1)%SYNFloodLegitEvery == 0 {
			h.exchange(keep[((i+1)/SYNFloodLegitEvery)%SlowlorisKeepAlive])
		}
	}
	for _, c := range keep {
		h.close(c)
	}
}

func (h *hgen) tinyOutOfOrder() {
	g := h.g
	c := h.open()
	body := int(h.n)
	hdr := "POST /upload/tiny HTTP/1.1\r\nHost: tiny.example.com\r\nUser-Agent: tiny-ooo\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
		strconv.Itoa(body) + "\r\n\r\n"
	h.segment(c, true, tcpACK|tcpPSH, []byte(hdr))
	h.ack(c, false)
	base := c.cseq // sequence number of body byte 0
	windows := (body + TinyOOOWindow - 1) / TinyOOOWindow
	stuck := -1 // the window whose hole is never filled nor acknowledged
	if windows >= 4 {
		stuck = windows * 3 / 4
	}
	order := make([]int, 0, TinyOOOWindow)
	var one [1]byte
	serverAck := base
	for k := 0; k < windows && g.err == nil; k++ {
		lo := k * TinyOOOWindow
		hi := min(lo+TinyOOOWindow, body)
		order = order[:0]
		for i := hi - 1; i >= lo; i-- {
			order = append(order, i)
		}
		if k%2 == 1 {
			g.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		lost := -1
		if k == stuck || (k%8 == 4 && (stuck < 0 || k < stuck)) {
			lost = lo + g.rng.IntN(hi-lo)
		}
		for _, i := range order {
			if i == lost {
				continue
			}
			one[0] = 'a' + byte(i%26)
			g.emit(c, true, tcpACK, base+uint32(i), c.sseq, one[:])
		}
		if stuck < 0 || k < stuck {
			serverAck = base + uint32(hi) // received all: lost bytes were capture loss
		} else if k == stuck {
			serverAck = base + uint32(lost) // the server never gets this byte
		}
		g.emit(c, false, tcpACK, c.sseq, serverAck, nil)
	}
	c.cseq = base + uint32(body)
	resp := []byte("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	g.emit(c, false, tcpACK|tcpPSH, c.sseq, serverAck, resp)
	c.sseq += uint32(len(resp))
	g.emit(c, false, tcpFIN|tcpACK, c.sseq, serverAck, nil)
	c.sseq++
	g.emit(c, true, tcpFIN|tcpACK, c.cseq, c.sseq, nil)
	c.cseq++
	g.emit(c, false, tcpACK, c.sseq, serverAck, nil)
	g.st.Exchanges++
}

func (h *hgen) neverCloses() {
	g := h.g
	long := h.open()
	for i := int64(0); i < h.n && g.err == nil; i++ {
		g.now = g.now.Add(time.Second)
		h.exchange(long)
		if (i+1)%NeverClosesOtherEvery == 0 {
			c := h.open()
			h.exchange(c)
			h.close(c)
		}
	}
	// The capture ends here: the long connection is still open.
}

func (h *hgen) hugeContentLength() {
	c := h.open()
	s := h.sender(c, true)
	fmt.Fprintf(s, "PUT /upload/huge HTTP/1.1\r\nHost: huge.example.com\r\nUser-Agent: huge-content-length\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", HugeDeclaredLength)
	block := make([]byte, 64<<10)
	for i := range block {
		block[i] = byte(i * 7)
	}
	for left := h.n; left > 0 && h.g.err == nil; {
		k := min(left, int64(len(block)))
		s.Write(block[:k])
		left -= k
	}
	s.Flush()
	h.g.st.Exchanges++
	// The capture ends here: no response, no FIN.
}

func (h *hgen) headerFlood() {
	type flood struct {
		c    *conn
		s    *sender
		line int
	}
	floods := make([]*flood, h.n)
	for i := range floods {
		c := h.open()
		f := &flood{c: c, s: h.sender(c, true)}
		fmt.Fprintf(f.s, "GET /flood/%d HTTP/1.1\r\nHost: flood.example.com\r\nUser-Agent: header-flood\r\n", i)
		floods[i] = f
	}
	// Interleaved: each connection in turn sends about a segment of lines.
	var b []byte
	for left := len(floods); left > 0 && h.g.err == nil; {
		for _, f := range floods {
			if f.line == HeaderFloodLines {
				continue
			}
			b = b[:0]
			for ; f.line < HeaderFloodLines && len(b) < mss; f.line++ {
				b = append(b, "X-H-"...)
				b = strconv.AppendInt(b, int64(f.line), 10)
				b = append(b, ": v\r\n"...)
			}
			if f.line == HeaderFloodLines {
				b = append(b, "\r\n"...)
				left--
			}
			f.s.Write(b)
		}
	}
	for _, f := range floods {
		f.s.Flush()
		h.send(f.c, false, []byte("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n"))
		h.send(f.c, true, []byte("GET /after HTTP/1.1\r\nHost: flood.example.com\r\nUser-Agent: header-flood\r\n\r\n"))
		h.send(f.c, false, []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"))
		h.close(f.c)
		h.g.st.Exchanges += 2
	}
}

// chunker writes chunked transfer coding to a sender: each Write is one
// chunk.
type chunker struct{ s *sender }

func (w chunker) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	fmt.Fprintf(w.s, "%x\r\n", len(p))
	w.s.Write(p)
	_, err := w.s.Write([]byte("\r\n"))
	return len(p), err
}

// writeBomb writes a chunked body holding a gzip stream of n zero bytes,
// compressed as it is written (16 KiB chunks).
func (h *hgen) writeBomb(s *sender, n int64) {
	bw := bufio.NewWriterSize(chunker{s}, 16<<10)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		h.g.err = err
		return
	}
	zeros := make([]byte, 1<<20)
	for left := n; left > 0 && h.g.err == nil; {
		k := min(left, int64(len(zeros)))
		if _, err := zw.Write(zeros[:k]); err != nil {
			h.g.err = fmt.Errorf("synth: gzip: %w", err)
			return
		}
		left -= k
	}
	if err := zw.Close(); err != nil && h.g.err == nil {
		h.g.err = fmt.Errorf("synth: gzip: %w", err)
	}
	bw.Flush()
	s.Write([]byte("0\r\n\r\n"))
	s.Flush()
}

func (h *hgen) gzipBomb(request bool) {
	c := h.open()
	if request {
		s := h.sender(c, true)
		s.Write([]byte("POST /upload/bomb HTTP/1.1\r\nHost: bomb.example.com\r\nUser-Agent: gzip-bomb\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"))
		h.writeBomb(s, h.n)
		h.send(c, false, []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"))
	} else {
		h.send(c, true, []byte("GET /download/bomb HTTP/1.1\r\nHost: bomb.example.com\r\nUser-Agent: gzip-bomb\r\nAccept-Encoding: gzip\r\n\r\n"))
		s := h.sender(c, false)
		s.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"))
		h.writeBomb(s, h.n)
	}
	h.close(c)
	h.g.st.Exchanges++
}

func (h *hgen) deepPipeline() {
	c := h.open()
	s := h.sender(c, true)
	var b []byte
	for i := int64(0); i < h.n; i++ {
		b = append(b[:0], "GET /pipe/"...)
		b = strconv.AppendInt(b, i, 10)
		b = append(b, " HTTP/1.1\r\nHost: pipe.example.com\r\nUser-Agent: deep-pipeline\r\n\r\n"...)
		s.Write(b)
	}
	s.Flush()
	s = h.sender(c, false)
	for i := int64(0); i < h.n; i++ {
		body := strconv.AppendInt([]byte("r"), i, 10)
		b = append(b[:0], "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n\r\n"...)
		b = append(b, body...)
		s.Write(b)
	}
	s.Flush()
	h.close(c)
	h.g.st.Exchanges += h.n
}
