package reassembly

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

// fuzzChecker is a Handler for fuzzing. Payload byte values are the low
// byte of their sequence number, so a correct stream is consecutive values
// and a Gap of n skips exactly n values: this checks order and gap sizes,
// not just the absence of panics.
type fuzzChecker struct {
	t         *testing.T
	exact     bool    // payloads never conflict, so byte values are checkable
	anchored  [2]bool // a first Data fixes the value its bytes start at
	want      [2]byte
	dataBytes [2]uint64
	gapBytes  [2]uint64
	closes    int
	rec       *ConnRecord
}

func (f *fuzzChecker) Data(d Direction, b []byte, ts time.Time) {
	if f.closes > 0 {
		f.t.Fatalf("Data after Close")
	}
	if f.exact {
		if !f.anchored[d] {
			f.anchored[d], f.want[d] = true, b[0]
		}
		for i, v := range b {
			if v != f.want[d] {
				f.t.Fatalf("dir %d: byte %d of Data is %d, want %d", d, i, v, f.want[d])
			}
			f.want[d]++
		}
	}
	f.dataBytes[d] += uint64(len(b))
}

func (f *fuzzChecker) Gap(d Direction, n int, ts time.Time) {
	if f.closes > 0 {
		f.t.Fatalf("Gap after Close")
	}
	if n <= 0 {
		f.t.Fatalf("Gap of %d", n)
	}
	f.want[d] += byte(n)
	f.gapBytes[d] += uint64(n)
}

func (f *fuzzChecker) Close(rec *ConnRecord) {
	f.closes++
	f.rec = rec
}

// fuzzPackets turns bytes into packets on three flows; 6 bytes a packet.
func fuzzPackets(data []byte, emit func(*Packet)) {
	srv := netip.MustParseAddrPort("192.0.2.1:80")
	bases := [3][2]uint32{{1000, 5000}, {0xffffff00, 0xfffffff0}, {7, 1 << 31}}
	mutate := len(data) > 0 && data[0]&1 == 1
	ts := t0
	var buf [64]byte
	for i := 1; i+6 <= len(data); i += 6 {
		b := data[i : i+6]
		flow, dir := int(b[0]%3), int(b[0]>>2&1)
		cli := netip.AddrPortFrom(netip.MustParseAddr("198.51.100.1"), uint16(40000+flow))
		p := Packet{Timestamp: ts, Flags: Flags(b[1]) & (FlagFIN | FlagSYN | FlagRST | FlagPSH | FlagACK), VLAN: uint16(b[0] >> 6)}
		if dir == 0 {
			p.Src, p.Dst = cli, srv
		} else {
			p.Src, p.Dst = srv, cli
		}
		off := uint32(int32(int16(binary.BigEndian.Uint16(b[2:]))) >> 4)
		p.Seq = bases[flow][dir] + off
		p.Ack = bases[flow][1-dir] + uint32(b[1]>>6)*8 + off%64
		p.Window = uint16(b[5]) << 4
		n := int(b[4] % 48)
		if b[4]&0x80 != 0 {
			n = 0
		}
		for j := range n {
			buf[j] = byte(p.Seq + uint32(j))
			if p.Flags.Has(FlagSYN) {
				buf[j]++ // SYN data starts after the SYN's sequence number
			}
		}
		if mutate && n > 0 && b[5]&1 == 1 {
			buf[0] ^= 0x55
		}
		p.Payload = buf[:n]
		emit(&p)
		switch {
		case b[5] > 250:
			ts = ts.Add(10 * time.Minute)
		case b[5] > 240:
			ts = ts.Add(3 * time.Second)
		default:
			ts = ts.Add(time.Duration(b[5]) * time.Millisecond)
		}
	}
}

func FuzzAssembler(f *testing.F) {
	f.Add([]byte{0, 0, 2, 0, 0, 0, 0})
	f.Add([]byte{
		0,
		0, byte(FlagSYN), 0, 0, 0, 1, // client SYN flow 0
		4, byte(FlagSYN | FlagACK), 0, 0, 0, 1, // server SYN-ACK
		0, byte(FlagACK), 0, 16, 10, 1, // client data
		0, byte(FlagACK), 0, 0, 5, 1, // client data, earlier: overlap
		4, byte(FlagACK | FlagFIN), 0, 16, 3, 1,
		1, byte(FlagACK), 0, 0, 20, 255, // other flow, time jump
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := Config{MaxConnections: 2, MaxBufferedBytesPerConn: 64, MaxBufferedBytesTotal: 100,
			IdleTimeout: time.Minute, CloseTimeout: time.Second, ReorderPackets: 4, ReorderTimeout: 100 * time.Millisecond}
		exact := len(data) == 0 || data[0]&1 == 0
		var conns []*fuzzChecker
		a := New(cfg, func(info *ConnInfo) Handler {
			c := &fuzzChecker{t: t, exact: exact}
			conns = append(conns, c)
			return c
		})
		fuzzPackets(data, func(p *Packet) {
			a.Add(p)
			if st := a.Stats(); st.BufferedBytes > cfg.MaxBufferedBytesTotal || st.BufferedBytes < 0 {
				t.Fatalf("buffered %d over cap", st.BufferedBytes)
			}
			for _, c := range a.conns {
				for d := range c.s {
					if c.s[d].bufBytes > cfg.MaxBufferedBytesPerConn {
						t.Fatalf("conn buffers %d over cap", c.s[d].bufBytes)
					}
				}
			}
			if len(a.conns) > cfg.MaxConnections {
				t.Fatalf("%d connections over cap", len(a.conns))
			}
			if a.last != nil && a.conns[a.last.key] != a.last {
				t.Fatal("the last connection looked up is no longer the table's")
			}
		})
		a.Flush()
		st := a.Stats()
		if st.ConnectionsCreated != uint64(len(conns)) || st.ConnectionsClosed != st.ConnectionsCreated || st.BufferedBytes != 0 {
			t.Fatalf("created %d closed %d handlers %d buffered %d", st.ConnectionsCreated, st.ConnectionsClosed, len(conns), st.BufferedBytes)
		}
		for _, c := range conns {
			if c.closes != 1 {
				t.Fatalf("%d Close calls", c.closes)
			}
			r := c.rec
			checkRecord(t, r)
			for d := range 2 {
				if r.DeliveredBytes[d] != c.dataBytes[d] || r.MissedBytes[d] != c.gapBytes[d] {
					t.Fatalf("dir %d: record says %d/%d delivered/missed, handler saw %d/%d",
						d, r.DeliveredBytes[d], r.MissedBytes[d], c.dataBytes[d], c.gapBytes[d])
				}
			}
			if r.State == "" || r.CloseReason == "" {
				t.Fatalf("incomplete record %+v", r)
			}
		}
	})
}
