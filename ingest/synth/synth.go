// Package synth writes deterministic, synthetic packet captures of HTTP/1.1
// traffic for benchmarks and tests: Ethernet/IPv4/TCP with real three-way
// handshakes, MSS-sized segments, correct sequence and acknowledgement
// numbers, keep-alive connections and many connections interleaved.
//
// The same Config (Seed included) always gives the same bytes. It must not
// know anything of how spanlake reads captures: it only writes pcap.
package synth

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Shape selects the traffic mix.
type Shape string

const (
	// Large: few exchanges per connection, responses 0 B–4 MiB, a third of
	// them Content-Encoding: gzip with chunked framing (the body bytes are
	// not real gzip).
	Large Shape = "large"
	// Small: keep-alive API traffic, requests and responses under 2 KB with
	// about ten headers each.
	Small Shape = "small"
)

// Config describes a capture.
type Config struct {
	Shape Shape
	Seed  uint64
	// TargetBytes is the capture size to reach (pcap bytes); the capture
	// ends a little after it, when the connections in flight have finished
	// their exchange and closed.
	TargetBytes int64
	// Concurrency is the number of connections open at once (default 32
	// for Large, 512 for Small).
	Concurrency int
	// Start is the capture time of the first packet (default 2026-01-02T03:04:05Z).
	Start time.Time
}

// Stats says what was written.
type Stats struct {
	Bytes       int64 // pcap file bytes
	Packets     int64
	Connections int64
	Exchanges   int64
}

const (
	mss       = 1460
	hdrLen    = 14 + 20 + 20
	maxLarge  = 4 << 20
	chunkSize = 16 << 10
)

// WriteFile writes a capture to path.
func WriteFile(path string, cfg Config) (Stats, error) {
	f, err := os.Create(path)
	if err != nil {
		return Stats{}, fmt.Errorf("cannot create capture %s: %w", path, err)
	}
	st, err := Write(f, cfg)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("cannot close capture %s: %w", path, cerr)
	}
	return st, err
}

// Write writes a pcap (microsecond timestamps, Ethernet) to w.
func Write(w io.Writer, cfg Config) (Stats, error) {
	if cfg.Shape != Large && cfg.Shape != Small {
		return Stats{}, fmt.Errorf("synth: unknown shape %q", cfg.Shape)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 32
		if cfg.Shape == Small {
			cfg.Concurrency = 512
		}
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), pw: pcapgo.NewWriter(bw), now: cfg.Start}
	if err := g.pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return Stats{}, fmt.Errorf("synth: cannot write pcap header: %w", err)
	}
	g.st.Bytes = 24
	g.pool = make([]byte, maxLarge+chunkSize)
	const text = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}\":,"
	for i := range g.pool {
		if cfg.Shape == Large {
			g.pool[i] = byte(g.rng.Uint32())
		} else {
			g.pool[i] = text[g.rng.IntN(len(text))]
		}
	}
	if err := g.run(); err != nil {
		return g.st, err
	}
	if err := bw.Flush(); err != nil {
		return g.st, fmt.Errorf("synth: cannot write capture: %w", err)
	}
	return g.st, nil
}

type gen struct {
	cfg   Config
	rng   *rand.Rand
	pw    *pcapgo.Writer
	now   time.Time
	st    Stats
	pool  []byte
	frame [hdrLen + mss]byte
	ipID  uint16
	port  uint32 // next client port number (spread over client addresses)
	err   error
}

// conn is one connection's script: it emits one packet per step.
type conn struct {
	client, server [4]byte
	cport, sport   uint16
	cseq, sseq     uint32 // next sequence number of each side
	state          int
	left           int    // exchanges still to do
	msg            []byte // message being sent
	off            int
	segs           int // segments of the current response, for delayed ACKs
}

const (
	stSYN = iota
	stSYNACK
	stACK
	stRequest
	stResponse
	stFIN1
	stFIN2
	stLastACK
	stDone
)

func (g *gen) newConn() *conn {
	n := g.port
	g.port++
	c := &conn{
		client: [4]byte{10, 1, byte(n >> 14), byte(n>>6) | 1},
		server: [4]byte{10, 0, 0, byte(1 + n%4)},
		cport:  uint16(10000 + n%50000),
		sport:  80,
		cseq:   g.rng.Uint32(),
		sseq:   g.rng.Uint32(),
	}
	if g.cfg.Shape == Large {
		c.left = 1 + g.rng.IntN(4)
	} else {
		c.left = 20 + g.rng.IntN(200)
	}
	g.st.Connections++
	return c
}

func (g *gen) run() error {
	active := make([]*conn, 0, g.cfg.Concurrency)
	for range g.cfg.Concurrency {
		active = append(active, g.newConn())
	}
	for len(active) > 0 && g.err == nil {
		i := g.rng.IntN(len(active))
		c := active[i]
		g.step(c)
		if c.state == stDone {
			if g.st.Bytes < g.cfg.TargetBytes {
				active[i] = g.newConn()
			} else {
				active[i] = active[len(active)-1]
				active = active[:len(active)-1]
			}
		}
	}
	return g.err
}

// step emits the next packet of c.
func (g *gen) step(c *conn) {
	const (
		fin, syn, rst, psh, ack = 0x01, 0x02, 0x04, 0x08, 0x10
	)
	switch c.state {
	case stSYN:
		g.emit(c, true, syn, c.cseq, 0, nil)
		c.cseq++
		c.state = stSYNACK
	case stSYNACK:
		g.emit(c, false, syn|ack, c.sseq, c.cseq, nil)
		c.sseq++
		c.state = stACK
	case stACK:
		g.emit(c, true, ack, c.cseq, c.sseq, nil)
		c.state = stRequest
		c.msg, c.off = g.request(), 0
	case stRequest, stResponse:
		fromClient := c.state == stRequest
		if !fromClient && c.segs >= 2 {
			// delayed ACK from the client every two full segments
			g.emit(c, true, ack, c.cseq, c.sseq, nil)
			c.segs = 0
			return
		}
		n := min(mss, len(c.msg)-c.off)
		last := c.off+n == len(c.msg)
		fl := byte(ack)
		if last {
			fl |= psh
		}
		if fromClient {
			g.emit(c, true, fl, c.cseq, c.sseq, c.msg[c.off:c.off+n])
			c.cseq += uint32(n)
		} else {
			g.emit(c, false, fl, c.sseq, c.cseq, c.msg[c.off:c.off+n])
			c.sseq += uint32(n)
			c.segs++
		}
		c.off += n
		if !last {
			return
		}
		c.segs = 0
		if fromClient {
			c.state, c.msg, c.off = stResponse, g.response(), 0
			return
		}
		g.st.Exchanges++
		c.left--
		if c.left > 0 && g.st.Bytes < g.cfg.TargetBytes {
			c.state, c.msg, c.off = stRequest, g.request(), 0
		} else {
			c.state = stFIN1
		}
	case stFIN1:
		g.emit(c, true, fin|ack, c.cseq, c.sseq, nil)
		c.cseq++
		c.state = stFIN2
	case stFIN2:
		g.emit(c, false, fin|ack, c.sseq, c.cseq, nil)
		c.sseq++
		c.state = stLastACK
	case stLastACK:
		g.emit(c, true, ack, c.cseq, c.sseq, nil)
		c.state = stDone
	}
}

var (
	methods  = []string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}
	agents   = []string{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "curl/8.5.0", "okhttp/4.12.0", "python-requests/2.31.0"}
	ctypes   = []string{"application/json", "text/html; charset=utf-8", "image/png", "application/octet-stream"}
	statuses = []string{"200 OK", "200 OK", "200 OK", "201 Created", "204 No Content", "304 Not Modified", "404 Not Found", "500 Internal Server Error"}
)

// request builds a request with about ten headers (and a body for POST/PUT).
func (g *gen) request() []byte {
	r := g.rng
	m := methods[r.IntN(len(methods))]
	b := make([]byte, 0, 2048)
	b = append(b, m...)
	b = append(b, " /api/v1/items/"...)
	b = strconv.AppendInt(b, int64(r.IntN(1_000_000)), 10)
	b = append(b, "?page="...)
	b = strconv.AppendInt(b, int64(r.IntN(100)), 10)
	b = append(b, " HTTP/1.1\r\nHost: api"...)
	b = strconv.AppendInt(b, int64(r.IntN(8)), 10)
	b = append(b, ".example.com\r\nUser-Agent: "...)
	b = append(b, agents[r.IntN(len(agents))]...)
	b = append(b, "\r\nAccept: application/json, text/plain, */*\r\nAccept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\nReferer: https://www.example.com/app/view/"...)
	b = strconv.AppendInt(b, int64(r.IntN(1000)), 10)
	b = append(b, "\r\nCookie: session="...)
	b = g.appendText(b, 32)
	b = append(b, "\r\nX-Request-Id: "...)
	b = g.appendText(b, 24)
	var body int
	if m == "POST" || m == "PUT" {
		body = 64 + r.IntN(900)
		b = append(b, "\r\nContent-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(body), 10)
	}
	b = append(b, "\r\n\r\n"...)
	return g.appendText(b, body)
}

// response builds a response whose body size depends on the shape.
func (g *gen) response() []byte {
	r := g.rng
	status := statuses[r.IntN(len(statuses))]
	var size int
	if g.cfg.Shape == Large {
		u := r.Float64()
		size = int(u * u * u * maxLarge) // 0 B–4 MiB, mean 1 MiB
	} else {
		size = r.IntN(1200)
	}
	if status[0] == '2' && status[2] == '4' || status[0] == '3' {
		size = 0
	}
	chunked := g.cfg.Shape == Large && size > 0 && r.IntN(3) == 0
	b := make([]byte, 0, size+size/chunkSize*8+1024)
	b = append(b, "HTTP/1.1 "...)
	b = append(b, status...)
	b = append(b, "\r\nServer: nginx/1.24.0\r\nDate: Fri, 02 Jan 2026 03:04:05 GMT\r\nContent-Type: "...)
	b = append(b, ctypes[r.IntN(len(ctypes))]...)
	b = append(b, "\r\nConnection: keep-alive\r\nCache-Control: no-cache\r\nVary: Accept-Encoding\r\nX-Request-Id: "...)
	b = g.appendText(b, 24)
	b = append(b, "\r\nETag: \""...)
	b = g.appendText(b, 16)
	b = append(b, "\"\r\n"...)
	if chunked {
		b = append(b, "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"...)
		for left := size; left > 0; {
			n := min(left, chunkSize)
			b = strconv.AppendInt(b, int64(n), 16)
			b = append(b, "\r\n"...)
			b = g.appendText(b, n)
			b = append(b, "\r\n"...)
			left -= n
		}
		return append(b, "0\r\n\r\n"...)
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, "\r\n\r\n"...)
	return g.appendText(b, size)
}

// appendText appends n bytes of the pool from a random offset.
func (g *gen) appendText(b []byte, n int) []byte {
	off := g.rng.IntN(len(g.pool) - n + 1)
	return append(b, g.pool[off:off+n]...)
}

// emit writes one segment of c.
func (g *gen) emit(c *conn, fromClient bool, flags byte, seq, ack uint32, payload []byte) {
	if g.err != nil {
		return
	}
	g.now = g.now.Add(time.Duration(1+g.rng.IntN(20)) * time.Microsecond)
	f := g.frame[:hdrLen+len(payload)]
	src, dst, sport, dport := c.client, c.server, c.cport, c.sport
	if !fromClient {
		src, dst, sport, dport = dst, src, dport, sport
	}
	// Ethernet: locally administered MACs derived from the addresses.
	copy(f[0:6], []byte{0x02, 0, dst[0], dst[1], dst[2], dst[3]})
	copy(f[6:12], []byte{0x02, 0, src[0], src[1], src[2], src[3]})
	f[12], f[13] = 0x08, 0x00
	ip := f[14:34]
	ip[0], ip[1] = 0x45, 0
	binary.BigEndian.PutUint16(ip[2:], uint16(20+20+len(payload)))
	g.ipID++
	binary.BigEndian.PutUint16(ip[4:], g.ipID)
	ip[6], ip[7] = 0x40, 0 // DF
	ip[8], ip[9] = 64, 6
	ip[10], ip[11] = 0, 0
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	binary.BigEndian.PutUint16(ip[10:], ipChecksum(ip))
	tcp := f[34:54]
	binary.BigEndian.PutUint16(tcp[0:], sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	binary.BigEndian.PutUint32(tcp[8:], ack)
	tcp[12], tcp[13] = 5<<4, flags
	binary.BigEndian.PutUint16(tcp[14:], 64240)
	tcp[16], tcp[17], tcp[18], tcp[19] = 0, 0, 0, 0 // checksum left zero (not verified by readers of captures)
	copy(f[hdrLen:], payload)
	ci := gopacket.CaptureInfo{Timestamp: g.now, CaptureLength: len(f), Length: len(f)}
	if err := g.pw.WritePacket(ci, f); err != nil {
		g.err = fmt.Errorf("synth: cannot write packet: %w", err)
		return
	}
	g.st.Packets++
	g.st.Bytes += 16 + int64(len(f))
}

func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
