package reassembly

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// recorder is a Handler that renders each direction as a string, gaps as
// "[gap N]", and checks the call-order contract of Handler.
type recorder struct {
	t       testing.TB
	info    ConnInfo
	streams [2]strings.Builder
	events  []string // "data", "gap", in order, with direction
	rec     *ConnRecord
	closes  int
}

func (r *recorder) Data(d Direction, b []byte, ts time.Time) {
	if r.closes > 0 {
		r.t.Errorf("Data after Close")
	}
	if len(b) == 0 {
		r.t.Errorf("empty Data")
	}
	r.streams[d].Write(b)
	r.events = append(r.events, fmt.Sprintf("%d data %d", d, len(b)))
}

func (r *recorder) Gap(d Direction, n int, ts time.Time) {
	if r.closes > 0 {
		r.t.Errorf("Gap after Close")
	}
	if n <= 0 {
		r.t.Errorf("Gap of %d bytes", n)
	}
	fmt.Fprintf(&r.streams[d], "[gap %d]", n)
	r.events = append(r.events, fmt.Sprintf("%d gap %d", d, n))
}

func (r *recorder) Close(rec *ConnRecord) {
	r.closes++
	if r.closes > 1 {
		r.t.Errorf("Close called %d times", r.closes)
	}
	r.rec = rec
}

// recorderSet collects the recorders of all connections, in creation order.
type recorderSet struct {
	t     testing.TB
	conns []*recorder
}

func (s *recorderSet) factory(info *ConnInfo) Handler {
	r := &recorder{t: s.t, info: *info}
	s.conns = append(s.conns, r)
	return r
}

// Addresses of scenario packets: "C" is the client, "S" the server.
var (
	addrC = netip.MustParseAddrPort("10.0.0.1:40000")
	addrS = netip.MustParseAddrPort("10.0.0.2:80")
	t0    = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// parsePacket reads one scenario line:
//
//	C|S FLAGS SEQ [ACK] [key=value...] [PAYLOAD]
//
// FLAGS are letters S(YN) A(CK) F(IN) R(ST) P(SH), "." for none. PAYLOAD is a
// Go-quoted string or "xN" (N bytes of 'x'). Keys: win=N (default 65535),
// t=DURATION (time since t0; default: previous packet + 1ms).
func parsePacket(t testing.TB, line string, prev time.Time) Packet {
	t.Helper()
	fields := splitQuoted(t, line)
	if len(fields) < 3 {
		t.Fatalf("bad packet line %q", line)
	}
	p := Packet{Window: 65535, Timestamp: prev.Add(time.Millisecond)}
	switch fields[0] {
	case "C":
		p.Src, p.Dst = addrC, addrS
	case "S":
		p.Src, p.Dst = addrS, addrC
	default:
		t.Fatalf("bad direction in %q", line)
	}
	for _, f := range fields[1] {
		switch f {
		case 'S':
			p.Flags |= FlagSYN
		case 'A':
			p.Flags |= FlagACK
		case 'F':
			p.Flags |= FlagFIN
		case 'R':
			p.Flags |= FlagRST
		case 'P':
			p.Flags |= FlagPSH
		case '.':
		default:
			t.Fatalf("bad flag %q in %q", f, line)
		}
	}
	seq, err := strconv.ParseUint(fields[2], 10, 32)
	if err != nil {
		t.Fatalf("bad seq in %q: %v", line, err)
	}
	p.Seq = uint32(seq)
	rest := fields[3:]
	if len(rest) > 0 {
		if ack, err := strconv.ParseUint(rest[0], 10, 32); err == nil {
			p.Ack = uint32(ack)
			rest = rest[1:]
		}
	}
	for _, f := range rest {
		switch {
		case strings.HasPrefix(f, "win="):
			w, err := strconv.Atoi(f[4:])
			if err != nil {
				t.Fatalf("bad window in %q", line)
			}
			p.Window = uint16(w)
		case strings.HasPrefix(f, "t="):
			dur, err := time.ParseDuration(f[2:])
			if err != nil {
				t.Fatalf("bad time in %q", line)
			}
			p.Timestamp = t0.Add(dur)
		case strings.HasPrefix(f, `"`):
			s, err := strconv.Unquote(f)
			if err != nil {
				t.Fatalf("bad payload in %q: %v", line, err)
			}
			p.Payload = []byte(s)
		case strings.HasPrefix(f, "x"):
			n, err := strconv.Atoi(f[1:])
			if err != nil {
				t.Fatalf("bad payload size in %q", line)
			}
			p.Payload = []byte(strings.Repeat("x", n))
		default:
			t.Fatalf("bad field %q in %q", f, line)
		}
	}
	return p
}

// splitQuoted splits on spaces, keeping Go-quoted strings whole.
func splitQuoted(t testing.TB, line string) []string {
	var out []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] == '"' {
			q, err := strconv.QuotedPrefix(line)
			if err != nil {
				t.Fatalf("bad quoting in %q", line)
			}
			out = append(out, q)
			line = line[len(q):]
			continue
		}
		i := strings.IndexByte(line, ' ')
		if i < 0 {
			i = len(line)
		}
		out = append(out, line[:i])
		line = line[i:]
	}
	return out
}
