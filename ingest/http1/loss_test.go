package http1

import (
	"fmt"
	"github.com/spanlake/spanlake/reassembly"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// Loss property: with segments dropped at random (capture loss at the SPAN
// port), every emitted exchange either pairs the right request with the
// right response or carries a loss flag. Never a silent mispairing.

// lossFlagged reports whether ex admits that a loss may have affected it.
func lossFlagged(ex *Exchange) bool {
	for _, a := range ex.Anomalies {
		if a == AnomHeaderGap || a == AnomBodyGap {
			return true
		}
	}
	return ex.Request != nil && ex.Request.GapBytes > 0 || ex.Response != nil && ex.Response.GapBytes > 0
}

// lossyConn builds a connection of n exchanges (pipelined in groups when
// depth > 1), cuts each message into segments and drops each with
// probability drop. Requests are "GET /r<i>", responses carry "X-Id: <i>".
func lossyConn(r *rand.Rand, n, depth int, drop float64) []event {
	var evs []event
	send := func(dir int, msg string) {
		for msg != "" {
			k := min(len(msg), 1+r.IntN(600))
			if r.Float64() < drop {
				evs = append(evs, event{dir: c2s + reassemblyDir(dir), gap: k})
			} else {
				evs = append(evs, event{dir: c2s + reassemblyDir(dir), data: msg[:k]})
			}
			msg = msg[k:]
		}
	}
	for i := 0; i < n; i += depth {
		end := min(n, i+depth)
		for j := i; j < end; j++ {
			send(0, fmt.Sprintf("GET /r%d HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n", j))
		}
		for j := i; j < end; j++ {
			body := strings.Repeat("b", r.IntN(2000))
			if r.IntN(2) == 0 {
				send(1, fmt.Sprintf("HTTP/1.1 200 OK\r\nX-Id: %d\r\nContent-Length: %d\r\n\r\n%s", j, len(body), body))
			} else {
				send(1, fmt.Sprintf("HTTP/1.1 200 OK\r\nX-Id: %d\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", j, len(body)+1, body+"c"))
			}
		}
	}
	return evs
}

func TestLossNeverMispairs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var total, flagged, right int
	for conn := range 400 {
		depth := 1
		if conn%4 == 3 {
			depth = 1 + r.IntN(4)
		}
		evs := lossyConn(r, 30, depth, lossRate)
		exs, _ := run(scenario{events: evs}, whole)
		for _, ex := range exs {
			total++
			if lossFlagged(ex) {
				flagged++
				continue
			}
			if ex.Request == nil || ex.Response == nil {
				t.Errorf("conn %d: unflagged exchange without a side: %s", conn, summary(ex))
				continue
			}
			id, _ := ex.Response.Get("X-Id")
			if want := "/r" + id; ex.Request.Target != want {
				t.Errorf("conn %d: mispaired without flag: %s (X-Id %s)", conn, summary(ex), id)
				continue
			}
			if !ex.Request.Complete || !ex.Response.Complete {
				t.Errorf("conn %d: unflagged incomplete: %s", conn, summary(ex))
				continue
			}
			right++
		}
	}
	t.Logf("%d exchanges: %d exact, %d flagged", total, right, flagged)
	if right < total/2 {
		t.Errorf("only %d of %d exchanges recovered: resync is not working", right, total)
	}
}

func reassemblyDir(d int) reassembly.Direction { return reassembly.Direction(d) }

var lossRate = 0.02

var _ = strconv.Itoa
