package http1

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/spanlake/spanlake/reassembly"
)

// Test harness: a scenario is the sequence of Handler calls the assembler
// would make for one connection; running it yields the emitted exchanges.

const (
	c2s = reassembly.ClientToServer
	s2c = reassembly.ServerToClient
)

// event is one Data (data != "") or Gap (gap > 0) call.
type event struct {
	dir  reassembly.Direction
	data string
	gap  int
}

func cl(s string) event    { return event{dir: c2s, data: s} }
func sv(s string) event    { return event{dir: s2c, data: s} }
func gapC(n int) event     { return event{dir: c2s, gap: n} }
func gapS(n int) event     { return event{dir: s2c, gap: n} }
func tsOf(i int) time.Time { return time.Unix(1700000000, 0).Add(time.Duration(i) * time.Millisecond) }

var (
	testClient = netip.MustParseAddrPort("10.0.0.1:40000")
	testServer = netip.MustParseAddrPort("10.0.0.2:80")
)

type scenario struct {
	events  []event
	midway  bool   // connection picked up mid-stream
	closeBy string // CloseReason; "" means "fin"
	cfg     *Config
}

// splitter decides how one event's data is cut into Data calls.
type splitter func(data string) []string

func whole(data string) []string { return []string{data} }

func byteWise(data string) []string {
	out := make([]string, len(data))
	for i := range data {
		out[i] = data[i : i+1]
	}
	return out
}

func randomSplits(r *rand.Rand) splitter {
	return func(data string) []string {
		var out []string
		for len(data) > 0 {
			n := 1 + r.IntN(min(len(data), 1+r.IntN(40)))
			out = append(out, data[:n])
			data = data[n:]
		}
		return out
	}
}

// run feeds sc to a parser and returns the exchanges and the record.
func run(sc scenario, split splitter) ([]*Exchange, *reassembly.ConnRecord) {
	info := &reassembly.ConnInfo{ID: 7, Client: testClient, Server: testServer, HandshakeSeen: !sc.midway}
	var got []*Exchange
	p := NewConnParser(info, sc.cfg, func(ex *Exchange) { got = append(got, ex) })
	for i, ev := range sc.events {
		ts := tsOf(i)
		if ev.gap > 0 {
			p.Gap(ev.dir, ev.gap, ts)
			continue
		}
		for _, part := range split(ev.data) {
			buf := []byte(part)
			p.Data(ev.dir, buf, ts)
			for j := range buf {
				buf[j] = 'X' // the parser must not keep the caller's bytes
			}
		}
	}
	rec := &reassembly.ConnRecord{Info: *info, CloseReason: sc.closeBy}
	if rec.CloseReason == "" {
		rec.CloseReason = "fin"
	}
	p.Close(rec)
	return got, rec
}

// summary is the canonical one-line description tables compare against:
//
//	depth req[...] rsp[...] anomalies flags
//
// with req/rsp as "start-line-parts h=headers hb=header bytes bw=body wire
// bytes bb=body bytes g=gap bytes C|I (complete or not) [body=%q] [T]".
func summary(ex *Exchange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", ex.Depth)
	if q := ex.Request; q != nil {
		fmt.Fprintf(&b, " req[%s %s %s", q.Method, q.Target, q.Version)
		msgSummary(&b, &q.Message)
	} else {
		b.WriteString(" req[-]")
	}
	if r := ex.Response; r != nil {
		fmt.Fprintf(&b, " rsp[%d %s", r.Status, r.Version)
		if r.Interim != 0 {
			fmt.Fprintf(&b, " i=%d/%d", r.Interim, r.InterimBytes)
		}
		msgSummary(&b, &r.Message)
	} else {
		b.WriteString(" rsp[-]")
	}
	if len(ex.Anomalies) > 0 {
		fmt.Fprintf(&b, " %v", ex.Anomalies)
	}
	if ex.Pipelined {
		b.WriteString(" P")
	}
	if ex.Upgraded {
		fmt.Fprintf(&b, " U%d/%d", ex.TunnelBytes[0], ex.TunnelBytes[1])
	}
	return b.String()
}

func msgSummary(b *strings.Builder, m *Message) {
	fmt.Fprintf(b, " h=%d", len(m.Headers))
	if m.Trailers > 0 {
		fmt.Fprintf(b, "+%dt", m.Trailers)
	}
	fmt.Fprintf(b, " hb=%d bw=%d bb=%d", m.HeaderBytes, m.BodyWireBytes, m.BodyBytes)
	if m.GapBytes > 0 {
		fmt.Fprintf(b, " g=%d", m.GapBytes)
	}
	if m.Complete {
		b.WriteString(" C")
	} else {
		b.WriteString(" I")
	}
	if m.Body != nil {
		fmt.Fprintf(b, " body=%q", m.Body)
	}
	if m.BodyTruncated {
		b.WriteString(" T")
	}
	b.WriteString("]")
}

func summaries(exs []*Exchange) []string {
	out := make([]string, len(exs))
	for i, ex := range exs {
		out[i] = summary(ex)
	}
	return out
}
