package reassembly

import (
	"fmt"
	"strings"
	"testing"
)

// checkpointScripts are packet scripts (see parsePacket) with out-of-order
// segments, gaps waiting for the ACK gate, a pending handshake, FINs and a
// port reuse, so that every cut point lands in a different state.
var checkpointScripts = map[string]string{
	"ooo and pipelining": handshake + `
C PA 1001 5001 "GET /a HTTP/1.1\r\n\r\n"
C PA 1020 5001 "GET /b HTTP/1.1\r\n\r\n"
S A 5011 1039 "HTTP/1.1 200 OK\r\n"
S A 5001 1039 "0123456789"
S PA 5028 1039 "\r\n"
C A 1039 5030
C FA 1039 5030
S FA 5030 1040
C A 1040 5031
`,
	"mid-stream pickup and keep-alive": `
C PA 7000 9000 "GET / HTTP/1.1\r\n\r\n"
S PA 9000 7018 "HTTP/1.1 204 No Content\r\n\r\n"
C A 7017 9027 "x"
C PA 7018 9027 "GET /2 HTTP/1.1\r\n\r\n"
S PA 9027 7037 "HTTP/1.1 204 No Content\r\n\r\n"
`,
	"port reuse": handshake + `
C PA 1001 5001 "ping"
S PA 5001 1005 "pong"
C FA 1005 5005
S FA 5005 1006
C A 1006 5006
C S 90000
S SA 70000 90001
C A 90001 70001
C PA 90001 70001 "again"
`,
	"gap acked past": handshake + `
C PA 1001 5001 "abc"
C PA 1010 5001 "xyz"
S A 5001 1013
S PA 5001 1013 "ok"
`,
}

func results(rs []*recorder) []string {
	var out []string
	for _, r := range rs {
		if r.rec == nil {
			continue
		}
		out = append(out, fmt.Sprintf("%+v|%q|%q|%+v", r.info, r.streams[0].String(), r.streams[1].String(), *r.rec))
	}
	return out
}

// TestDetachThenReplayIsExact: cutting a script at every packet, detaching
// the connections open at the cut and replaying their packets into a fresh
// assembler before the rest gives the connections of one uncut run; a
// detached connection is never closed by the first assembler, and detaching
// frees all it buffered.
func TestDetachThenReplayIsExact(t *testing.T) {
	for name, script := range checkpointScripts {
		var pkts []Packet
		prev := t0
		for _, line := range strings.Split(script, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				p := parsePacket(t, line, prev)
				prev = p.Timestamp
				pkts = append(pkts, p)
			}
		}
		whole := &recorderSet{t: t}
		a := New(Config{}, whole.factory)
		for i := range pkts {
			a.Add(&pkts[i])
		}
		a.Flush()
		want := results(whole.conns)

		for cut := 0; cut <= len(pkts); cut++ {
			t.Run(fmt.Sprintf("%s/cut=%d", name, cut), func(t *testing.T) {
				first := &recorderSet{t: t}
				a1 := New(Config{}, first.factory)
				for i := range pkts[:cut] {
					a1.Add(&pkts[i])
				}
				open := a1.OpenConns()
				for i := range open {
					if !a1.Detach(&open[i]) {
						t.Fatalf("Detach(%v) = false", open[i].Info)
					}
					if a1.Detach(&open[i]) {
						t.Fatalf("second Detach(%v) = true", open[i].Info)
					}
				}
				a1.Flush()
				if st := a1.Stats(); st.BufferedBytes != 0 || st.OpenConnections != 0 || st.ConnectionsDetached != uint64(len(open)) {
					t.Fatalf("after detach and flush: %+v", st)
				}
				for _, r := range first.conns {
					for _, oc := range open {
						if r.info.ID == oc.Info.ID && r.closes != 0 {
							t.Fatalf("detached connection %v was closed", oc.Info)
						}
					}
				}
				second := &recorderSet{t: t}
				a2 := New(Config{}, second.factory)
				for i := range pkts[:cut] {
					p := &pkts[i]
					for _, oc := range open {
						k := makeKey(p)
						if k.lo == oc.A && k.hi == oc.B && !p.Timestamp.Before(oc.Info.FirstSeen) && !p.Timestamp.After(oc.LastSeen) {
							a2.Add(p)
							break
						}
					}
				}
				for i := range pkts[cut:] {
					a2.Add(&pkts[cut+i])
				}
				a2.Flush()
				got := append(results(first.conns), results(second.conns)...)
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("cut at %d (%d detached):\n got %s\nwant %s", cut, len(open), strings.Join(got, "\n     "), strings.Join(want, "\n     "))
				}
			})
		}
	}
}
