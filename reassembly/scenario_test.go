package reassembly

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scenario is a specification of the assembler: a script of packets and
// expectations, then the streams and records of every connection after
// Flush.
//
// Script lines are packets (see parsePacket), blank, "#" comments, or
//
//	expect C|S QUOTED   the client|server stream of the newest connection so far
//	flush               call Flush (otherwise called once at the end)
type scenario struct {
	name   string
	cfg    Config
	script string
	conns  []wantConn
	check  func(t *testing.T, st Stats, conns []*recorder)
}

type wantConn struct {
	client, server        string
	state, history, close string
	anomalies             []string
}

// handshake is client ISN 1000, server ISN 5000: data starts at 1001 / 5001.
const handshake = `
C S 1000
S SA 5000 1001
C A 1001 5001
`

var scenarios = []scenario{
	{
		name: "handshake captured out of order (pickup grace period)",
		script: `
S SA 5000 1001
C A 1001 5001
C PA 1001 5001 "GET /"
C S 1000
S PA 5001 1006 "200 OK"
`,
		conns: []wantConn{{client: "GET /", server: "200 OK", state: "S1", history: "ShADd", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			r := c[0].rec
			if !r.Info.HandshakeSeen || r.Info.Client != addrC || r.Info.Server != addrS || st.PortReuses != 0 {
				t.Errorf("info = %+v, port reuses %d", r.Info, st.PortReuses)
			}
			if first := t0.Add(time.Millisecond); !r.Info.FirstSeen.Equal(first) { // packet n is at t0 + n ms
				t.Errorf("FirstSeen %v, want the earliest packet's %v", r.Info.FirstSeen, first)
			}
		},
	},
	{
		name: "response captured before the request it answers (ACK gate)",
		script: handshake + `
S PA 5001 1006 "200 OK"
C PA 1001 5001 "GET /"
`,
		conns: []wantConn{{client: "GET /", server: "200 OK", state: "S1", history: "ShAdD", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			want := []string{"0 data 5", "1 data 6"}
			if !slices.Equal(c[0].events, want) {
				t.Errorf("handler saw %v, want the request first: %v", c[0].events, want)
			}
			if st.BufferedBytes != 0 {
				t.Errorf("%d bytes still buffered", st.BufferedBytes)
			}
		},
	},
	// History: Zeek marks T (t) for any payload starting below the highest
	// byte seen so far — a retransmission, but also a late segment that
	// fills a hole — so the reordering cases below end in T even though
	// their Retransmissions counter stays 0.
	{
		name: "keep-alive probe captured before the data it repeats",
		script: handshake + `
C PA 1004 5001 "\x00"
C PA 1001 5001 "abcd"
`,
		conns: []wantConn{{client: "abcd", state: "S1", history: "ShADT", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if r := c[0].rec; r.ConflictingOverlaps[0] != 0 || r.KeepAlives[0] != 1 {
				t.Errorf("conflicts %v keep-alives %v", r.ConflictingOverlaps, r.KeepAlives)
			}
		},
	},
	{
		name: "clean handshake and teardown",
		script: handshake + `
C PA 1001 5001 "GET /"
S PA 5001 1006 "200 OK"
C FA 1006 5007
S FA 5007 1007
C A 1007 5008
`,
		conns: []wantConn{{client: "GET /", server: "200 OK", state: "SF", history: "ShADdFf", close: "fin"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			r := c[0].rec
			if !r.Info.HandshakeSeen || r.Info.Client != addrC || r.Info.Server != addrS {
				t.Errorf("info = %+v", r.Info)
			}
			if r.Packets != [2]uint64{5, 3} || r.DeliveredBytes != [2]uint64{5, 6} || r.Gaps != [2]uint64{} {
				t.Errorf("packets %v delivered %v gaps %v", r.Packets, r.DeliveredBytes, r.Gaps)
			}
			if st.AcksSeen == 0 || st.AcksForUnseenData != 0 {
				t.Errorf("acks %d unseen %d", st.AcksSeen, st.AcksForUnseenData)
			}
		},
	},
	{
		name: "reordering within a direction",
		script: handshake + `
C PA 1007 5001 "ghi"
C PA 1004 5001 "def"
expect C ""
C PA 1001 5001 "abc"
expect C "abcdefghi"
`,
		conns: []wantConn{{client: "abcdefghi", state: "S1", history: "ShADT", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if got := c[0].rec.OutOfOrder[0]; got != 2 {
				t.Errorf("OutOfOrder = %d, want 2", got)
			}
			if st.BufferedBytes != 0 || st.PeakBufferedBytes != 6 {
				t.Errorf("buffered %d peak %d", st.BufferedBytes, st.PeakBufferedBytes)
			}
		},
	},
	{
		name: "ACK before the data it acknowledges never gaps",
		cfg:  Config{ReorderPackets: 4},
		script: handshake + `
S A 5001 1007
S PA 5001 1007 "xyz"
C PA 1001 5001 "abc"
C PA 1004 5001 "def"
`,
		conns: []wantConn{{client: "abcdef", server: "xyz", state: "S1", history: "ShAadD", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if st.AcksForUnseenData != 0 || st.Gaps != 0 {
				t.Errorf("unseen acks %d gaps %d", st.AcksForUnseenData, st.Gaps)
			}
		},
	},
	{
		name: "identical retransmission is invisible",
		script: handshake + `
C PA 1001 5001 "abc"
C PA 1001 5001 "abc"
C PA 1004 5001 "def"
`,
		conns: []wantConn{{client: "abcdef", state: "S1", history: "ShADT", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			r := c[0].rec
			if r.Retransmissions[0] != 1 || r.ConflictingOverlaps[0] != 0 || r.PayloadBytes[0] != 9 || r.DeliveredBytes[0] != 6 {
				t.Errorf("rexmit %d conflicts %d payload %d delivered %d", r.Retransmissions[0], r.ConflictingOverlaps[0], r.PayloadBytes[0], r.DeliveredBytes[0])
			}
		},
	},
	{
		name: "conflicting overlap: first data wins, delivered and buffered",
		script: handshake + `
C PA 1001 5001 "abc"
C PA 1001 5001 "abX"
C PA 1007 5001 "ghi"
C PA 1007 5001 "gXi"
C PA 1004 5001 "def"
`,
		conns: []wantConn{{client: "abcdefghi", state: "S1", history: "ShADT", close: "end_of_input", anomalies: []string{"conflicting_overlap"}}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if got := c[0].rec.ConflictingOverlaps[0]; got != 2 {
				t.Errorf("ConflictingOverlaps = %d, want 2", got)
			}
		},
	},
	{
		name: "partial overlaps deliver only the new bytes",
		script: handshake + `
C PA 1001 5001 "abc"
C PA 1002 5001 "bcdef"
C PA 1010 5001 "jkl"
C PA 1008 5001 "hijklm"
C PA 1007 5001 "g"
`,
		conns: []wantConn{{client: "abcdefghijklm", state: "S1", history: "ShADT", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			want := []string{"0 data 3", "0 data 3", "0 data 1", "0 data 2", "0 data 3", "0 data 1"}
			if !slices.Equal(c[0].events, want) {
				t.Errorf("events = %q, want %q", c[0].events, want)
			}
		},
	},
	{
		name: "keep-alive probes: one stale byte and empty",
		script: handshake + `
C PA 1001 5001 "abc"
C A 1003 5001 "c"
C A 1003 5001
C PA 1004 5001 "def"
`,
		conns: []wantConn{{client: "abcdef", state: "S1", history: "ShAD", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if r := c[0].rec; r.KeepAlives[0] != 2 || r.Retransmissions[0] != 0 {
				t.Errorf("keepalives %d rexmit %d", r.KeepAlives[0], r.Retransmissions[0])
			}
		},
	},
	{
		name: "SPAN duplicates every packet",
		script: `
C S 1000
C S 1000
S SA 5000 1001
S SA 5000 1001
C PA 1001 5001 "abc"
C PA 1001 5001 "abc"
S PA 5001 1004 "xyz"
S PA 5001 1004 "xyz"
`,
		conns: []wantConn{{client: "abc", server: "xyz", state: "S1", history: "ShDTdt", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if r := c[0].rec; r.Retransmissions != [2]uint64{1, 1} || st.SynRetransmissions != 2 || st.ConnectionsCreated != 1 {
				t.Errorf("rexmit %v syn rexmit %d conns %d", r.Retransmissions, st.SynRetransmissions, st.ConnectionsCreated)
			}
		},
	},
	{
		name: "sequence numbers wrap around 2^32",
		script: `
C S 4294967290
S SA 5000 4294967291
C PA 3 5001 "ijk"
C PA 4294967291 5001 "abcdefgh"
C PA 6 5001 "lmn"
S A 5001 9
`,
		conns: []wantConn{{client: "abcdefghijklmn", state: "S1", history: "ShDTa", close: "end_of_input"}},
	},
	{
		name: "mid-stream pickup: well-known port is the server",
		script: `
S PA 7000 2000 "HTTP/1.1 200"
C PA 2000 7012 "GET"
`,
		conns: []wantConn{{client: "GET", server: "HTTP/1.1 200", state: "OTH", history: "^dD", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if i := c[0].info; i.HandshakeSeen || i.Server != addrS || i.Client != addrC {
				t.Errorf("info = %+v", i)
			}
		},
	},
	{
		name: "data after FIN is delivered and flagged",
		script: handshake + `
C FPA 1001 5001 "abc"
C PA 1004 5001 "def"
`,
		conns: []wantConn{{client: "abcdef", state: "S2", history: "ShAFDT", close: "end_of_input", anomalies: []string{"data_after_fin"}}},
	},
	{
		name: "RST with data",
		script: handshake + `
C PA 1001 5001 "abc"
S RA 5001 1004 "bye"
`,
		conns: []wantConn{{client: "abc", server: "bye", state: "RSTR", history: "ShADr", close: "rst", anomalies: []string{"rst_with_data"}}},
	},
	{
		name: "lost segment: gap after the peer ACKed and ReorderPackets passed",
		cfg:  Config{ReorderPackets: 3},
		script: handshake + `
C PA 1001 5001 "abc"
C PA 1007 5001 "ghi"
S A 5001 1010
S A 5001 1010
C A 1010 5001
expect C "abc"
S A 5001 1010
expect C "abc[gap 3]ghi"
C PA 1004 5001 "def"
C PA 1010 5001 "jkl"
`,
		conns: []wantConn{{client: "abc[gap 3]ghijkl", state: "S1", history: "ShADaGT", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if r := c[0].rec; r.MissedBytes[0] != 3 || r.Gaps[0] != 1 || r.Retransmissions[0] != 1 {
				t.Errorf("missed %d gaps %d rexmit %d", r.MissedBytes[0], r.Gaps[0], r.Retransmissions[0])
			}
			if st.ForcedGaps != 0 || st.AcksForUnseenData != 0 {
				t.Errorf("forced %d unseen %d", st.ForcedGaps, st.AcksForUnseenData)
			}
		},
	},
	{
		name: "lost segment: gap after ReorderTimeout of packet time",
		cfg:  Config{ReorderTimeout: time.Second},
		script: handshake + `
C PA 1001 5001 "abc" t=1s
C PA 1007 5001 "ghi" t=1.1s
S A 5001 1010 t=1.2s
S A 5001 1010 t=2.1s
expect C "abc"
S A 5001 1010 t=2.3s
expect C "abc[gap 3]ghi"
`,
		conns: []wantConn{{client: "abc[gap 3]ghi", state: "S1", history: "ShADaG", close: "end_of_input"}},
	},
	{
		name: "missing tail at close: peer ACKed bytes never seen",
		script: handshake + `
C PA 1001 5001 "abc"
S A 5001 1010
`,
		conns: []wantConn{{client: "abc[gap 6]", state: "S1", history: "ShADaG", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if st.AcksForUnseenData != 1 {
				t.Errorf("AcksForUnseenData = %d, want 1", st.AcksForUnseenData)
			}
		},
	},
	{
		name: "missing tail at close: FIN beyond the last byte",
		script: handshake + `
C PA 1001 5001 "abc"
C FA 1010 5001
S FA 5001 1011
`,
		conns: []wantConn{{client: "abc[gap 6]", state: "SF", history: "ShADFfG", close: "fin"}},
	},
	{
		name: "per-connection buffer cap forces a gap",
		cfg:  Config{MaxBufferedBytesPerConn: 8},
		script: handshake + `
C PA 1001 5001 "abc"
C PA 1010 5001 x4
C PA 1020 5001 x4
expect C "abc"
C PA 1030 5001 x4
expect C "abc[gap 6]xxxx[gap 6]xxxx"
`,
		conns: []wantConn{{client: "abc[gap 6]xxxx[gap 6]xxxx[gap 6]xxxx", state: "S1", history: "ShADG", close: "end_of_input", anomalies: []string{"buffer_overflow"}}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			// Over the cap (12 > 8) the buffer is cut to half the cap (4):
			// two holes are given up at once.
			if st.ForcedGaps != 2 || st.PeakBufferedBytes != 12 || st.BufferedBytes != 0 {
				t.Errorf("forced %d peak %d now %d", st.ForcedGaps, st.PeakBufferedBytes, st.BufferedBytes)
			}
		},
	},
	{
		name: "global buffer cap flushes the direction buffering most",
		cfg:  Config{MaxBufferedBytesPerConn: 8, MaxBufferedBytesTotal: 10},
		script: handshake + `
C PA 1010 5001 x7
S PA 5010 1001 x5
expect C "[gap 9]xxxxxxx"
expect S ""
`,
		conns: []wantConn{{client: "[gap 9]xxxxxxx", server: "[gap 9]xxxxx", state: "S1", history: "ShADdGg", close: "end_of_input", anomalies: []string{"buffer_overflow"}}},
	},
	{
		name: "idle timeout in packet time",
		cfg:  Config{IdleTimeout: time.Minute},
		script: handshake + `
C PA 1001 5001 "abc" t=1s
S PA 5001 1004 "xyz" t=61s
C PA 1004 5004 "def" t=122s
`,
		conns: []wantConn{
			{client: "abc", server: "xyz", state: "S1", history: "ShADd", close: "idle_timeout"},
			{client: "def", state: "OTH", history: "D", close: "end_of_input"},
		},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if st.IdleTimeouts != 1 {
				t.Errorf("IdleTimeouts = %d", st.IdleTimeouts)
			}
		},
	},
	{
		name: "port reuse: SYN with a new ISN after FIN",
		script: handshake + `
C FA 1001 5001
S FA 5001 1002
C A 1002 5002
C S 9000
S SA 3000 9001
`,
		conns: []wantConn{
			{state: "SF", history: "ShAFf", close: "fin"},
			{state: "OTH", history: "Sh", close: "end_of_input"},
		},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if st.PortReuses != 1 || !c[1].info.HandshakeSeen {
				t.Errorf("PortReuses = %d, info %+v", st.PortReuses, c[1].info)
			}
			if c[0].info.ID == c[1].info.ID {
				t.Errorf("same ID for two connections")
			}
		},
	},
	{
		name: "closed connection lingers CloseTimeout, then late packets start a new one",
		cfg:  Config{CloseTimeout: time.Second},
		script: handshake + `
C FPA 1001 5001 "abc" t=1s
S FA 5001 1005 t=1.1s
C A 1005 5002 t=1.5s
C A 1005 5002 t=3s
`,
		conns: []wantConn{
			{client: "abc", state: "SF", history: "ShAFf", close: "fin"},
			{state: "OTH", history: "A", close: "end_of_input"},
		},
	},
	{
		name:   "SYN retransmission is not a new connection",
		script: "C S 1000\nC S 1000 t=1s\nC S 1000 t=3s\n",
		conns:  []wantConn{{state: "S0", history: "S", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if st.SynRetransmissions != 2 || st.ConnectionsCreated != 1 {
				t.Errorf("syn rexmit %d conns %d", st.SynRetransmissions, st.ConnectionsCreated)
			}
		},
	},
	{
		name:   "REJ",
		script: "C S 1000\nS RA 0 1001\n",
		conns:  []wantConn{{state: "REJ", history: "Sr", close: "rst"}},
	},
	{
		name:   "RSTOS0",
		script: "C S 1000\nC R 1001\n",
		conns:  []wantConn{{state: "RSTOS0", history: "SR", close: "rst"}},
	},
	{
		name:   "RSTO",
		script: handshake + "C PA 1001 5001 \"abc\"\nC RA 1004 5001\n",
		conns:  []wantConn{{client: "abc", state: "RSTO", history: "ShADR", close: "rst"}},
	},
	{
		name:   "SH",
		script: "C S 1000\nC F 1001\n",
		conns:  []wantConn{{state: "SH", history: "SF", close: "end_of_input"}},
	},
	{
		name:   "SHR and RSTRH",
		script: "S SA 5000 1001\nS FA 5001 1001\n",
		// The first packet is the server's: Zeek's flip mark, as its
		// conn.log has it ("^hf").
		conns: []wantConn{{state: "SHR", history: "^hf", close: "end_of_input"}},
	},
	{
		// Zeek records T (and W, G) again each time its count reaches a
		// power of ten: eleven retransmissions are "TT", not "T".
		name:   "scaled history letters",
		script: "C S 1000\nS SA 5000 1001\nC A 1001 5001\nC PA 1001 5001 \"abc\"\n" + strings.Repeat("C PA 1001 5001 \"abc\"\n", 11),
		conns:  []wantConn{{client: "abc", state: "S1", history: "ShADTT", close: "end_of_input"}},
	},
	{
		name:   "RSTRH",
		script: "S SA 5000 1001\nS RA 5001 1001\n",
		conns:  []wantConn{{state: "RSTRH", history: "^hr", close: "rst"}},
	},
	{
		name: "zero window and zero-window probe",
		script: handshake + `
S A 5001 1001 win=0
C PA 1001 5001 "a"
S A 5001 1002 win=100
`,
		conns: []wantConn{{client: "a", state: "S1", history: "ShAawD", close: "end_of_input"}},
		check: func(t *testing.T, st Stats, c []*recorder) {
			if got := c[0].rec.ZeroWindowProbes[0]; got != 1 {
				t.Errorf("ZeroWindowProbes = %d", got)
			}
		},
	},
	{
		name:   "SYN with data (TCP Fast Open)",
		script: "C S 1000 \"hi\"\nS SA 5000 1003\nC PA 1003 5001 \"!\"\n",
		conns:  []wantConn{{client: "hi!", state: "S1", history: "ShD", close: "end_of_input", anomalies: []string{"syn_with_data"}}},
	},
	{
		name: "simultaneous open",
		script: `
C S 1000
S S 5000
S SA 5000 1001
C SA 1000 5001
C PA 1001 5001 "abc"
S PA 5001 1004 "xyz"
`,
		conns: []wantConn{{client: "abc", server: "xyz", state: "S1", history: "SshHDd", close: "end_of_input"}},
	},
	{
		name:   "absurd sequence jump is ignored",
		script: handshake + "C PA 1001 5001 \"abc\"\nC PA 2000000000 5001 \"zzz\"\n",
		conns:  []wantConn{{client: "abc", state: "S1", history: "ShAD", close: "end_of_input", anomalies: []string{"seq_out_of_window"}}},
	},
}

func TestScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			set := &recorderSet{t: t}
			a := New(sc.cfg, set.factory)
			prev := t0
			flushed := false
			for n, line := range strings.Split(sc.script, "\n") {
				line = strings.TrimSpace(line)
				switch {
				case line == "" || strings.HasPrefix(line, "#"):
				case line == "flush":
					a.Flush()
					flushed = true
				case strings.HasPrefix(line, "expect "):
					f := splitQuoted(t, line)
					want, err := strconv.Unquote(f[2])
					if len(f) != 3 || err != nil || len(set.conns) == 0 {
						t.Fatalf("line %d: bad expect %q", n+1, line)
					}
					d := ClientToServer
					if f[1] == "S" {
						d = ServerToClient
					}
					if got := set.conns[len(set.conns)-1].streams[d].String(); got != want {
						t.Errorf("line %d: %s stream = %q, want %q", n+1, f[1], got, want)
					}
				default:
					p := parsePacket(t, line, prev)
					prev = p.Timestamp
					a.Add(&p)
				}
			}
			if !flushed {
				a.Flush()
			}
			if len(set.conns) != len(sc.conns) {
				t.Fatalf("%d connections, want %d", len(set.conns), len(sc.conns))
			}
			for i, w := range sc.conns {
				r := set.conns[i]
				if r.closes != 1 {
					t.Fatalf("conn %d: %d Close calls", i, r.closes)
				}
				got := wantConn{
					client: r.streams[0].String(), server: r.streams[1].String(),
					state: r.rec.State, history: r.rec.History, close: r.rec.CloseReason,
					anomalies: r.rec.Anomalies,
				}
				if got.client != w.client || got.server != w.server || got.state != w.state ||
					got.history != w.history || got.close != w.close || !slices.Equal(got.anomalies, w.anomalies) {
					t.Errorf("conn %d:\n got %+v\nwant %+v", i, got, w)
				}
				checkRecord(t, r.rec)
			}
			st := a.Stats()
			if st.OpenConnections != 0 || st.BufferedBytes != 0 {
				t.Errorf("after Flush: open %d buffered %d", st.OpenConnections, st.BufferedBytes)
			}
			if sc.check != nil {
				sc.check(t, st, set.conns)
			}
		})
	}
}

// checkRecord asserts invariants every record must satisfy.
func checkRecord(t testing.TB, r *ConnRecord) {
	t.Helper()
	for d := range 2 {
		if r.DeliveredBytes[d] > r.PayloadBytes[d] {
			t.Errorf("dir %d: delivered %d > payload %d", d, r.DeliveredBytes[d], r.PayloadBytes[d])
		}
		if (r.Gaps[d] == 0) != (r.MissedBytes[d] == 0) {
			t.Errorf("dir %d: %d gaps but %d missed bytes", d, r.Gaps[d], r.MissedBytes[d])
		}
	}
	if r.Info.ID != connID(r.Info.Client, r.Info.Server, r.Info.FirstSeen) {
		t.Errorf("ID does not match the connection")
	}
	if r.LastSeen.Before(r.Info.FirstSeen) {
		t.Errorf("LastSeen %v before FirstSeen %v", r.LastSeen, r.Info.FirstSeen)
	}
}

// anomalyRecorder is a recorder that also observes stream anomalies.
type anomalyRecorder struct {
	recorder
	seen []string
}

func (r *anomalyRecorder) StreamAnomaly(d Direction, code string) {
	r.seen = append(r.seen, fmt.Sprintf("%d %s after %d bytes", d, code, r.recorder.streams[d].Len()))
}

// TestConflictingOverlapReachesTheHandler: a handler that observes stream
// anomalies learns of a conflicting overlap where it happens, so the HTTP
// layer can flag the exchange, not only the connection.
func TestConflictingOverlapReachesTheHandler(t *testing.T) {
	var rec *anomalyRecorder
	a := New(Config{}, func(info *ConnInfo) Handler {
		rec = &anomalyRecorder{recorder: recorder{t: t, info: *info}}
		return rec
	})
	prev := t0
	for _, line := range strings.Split(strings.TrimSpace(handshake+`
C PA 1001 5001 "abcdef"
C PA 1001 5001 "abXdef"
`), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		p := parsePacket(t, strings.TrimSpace(line), prev)
		prev = p.Timestamp
		a.Add(&p)
	}
	a.Flush()
	if rec == nil || len(rec.seen) != 1 || rec.seen[0] != "0 conflicting_overlap after 6 bytes" {
		t.Fatalf("observer saw %v", rec.seen)
	}
}
