package ingest

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/reassembly"
)

// TestLazyParserCloseIsNoop: connHandler creates its HTTP parser on the
// first Data, Gap or StreamAnomaly only, and skips ConnParser.Close when
// there is none. That is only the same output as an eager parser if
// closing a parser that never received anything emits nothing and leaves
// the record untouched, whatever the record says.
func TestLazyParserCloseIsNoop(t *testing.T) {
	info := reassembly.ConnInfo{ID: 7, Client: netip.MustParseAddrPort("10.0.0.1:40000"),
		Server: netip.MustParseAddrPort("10.0.0.2:80"), FirstSeen: time.Unix(1700000000, 0), HandshakeSeen: true}
	recs := []reassembly.ConnRecord{
		{State: "S0", History: "S", CloseReason: "evicted"},
		{State: "SF", History: "ShAFaf", CloseReason: "fin"},
		{State: "SF", History: "ShAfaF", CloseReason: "fin"}, // server closed first
		{State: "RSTO", History: "ShAR", CloseReason: "rst", Anomalies: []string{"rst_with_data"}},
		{State: "OTH", History: "", CloseReason: "fin"},
		{State: "S1", History: "Sh", CloseReason: "end_of_input", Anomalies: []string{"syn_with_data", "buffer_overflow"}},
		{State: "S1", History: "Sh", CloseReason: "idle_timeout"},
	}
	cfgs := []*http1.Config{nil, {RequestBodyLimit: 1, MaxPipelineDepth: 1}}
	for _, cfg := range cfgs {
		for _, rec := range recs {
			rec.Info = info
			want := rec
			want.Anomalies = slices.Clone(rec.Anomalies)
			emitted := 0
			p := http1.NewConnParser(&info, cfg, func(*http1.Exchange) { emitted++ })
			p.Close(&rec)
			if emitted != 0 || !reflect.DeepEqual(rec, want) {
				t.Errorf("cfg %+v, record %s/%s/%s: Close of an unused parser emitted %d exchanges, record %+v, want %+v",
					cfg, want.State, want.History, want.CloseReason, emitted, rec, want)
			}
		}
	}
}

// TestConnHandlerParserIsLazy: a connection that carries no payload never
// gets a parser; one that does gets it at its first byte or gap.
func TestConnHandlerParserIsLazy(t *testing.T) {
	info := &reassembly.ConnInfo{ID: 1}
	env := &handlerEnv{out: discardOutput{}, sources: &sourceIndex{}, hcfg: &http1.Config{}}
	for _, feed := range []struct {
		name string
		f    func(*connHandler)
		want bool
	}{
		{"nothing", func(*connHandler) {}, false},
		{"data", func(c *connHandler) { c.Data(reassembly.ClientToServer, []byte("GET / HTTP/1.1\r\n"), time.Time{}) }, true},
		{"gap", func(c *connHandler) { c.Gap(reassembly.ServerToClient, 10, time.Time{}) }, true},
		{"stream anomaly", func(c *connHandler) { c.StreamAnomaly(reassembly.ClientToServer, "conflicting_overlap") }, true},
	} {
		c := newConnHandler(env, info, 0)
		feed.f(c)
		if got := c.ConnParser != nil; got != feed.want {
			t.Errorf("%s: parser created %v, want %v", feed.name, got, feed.want)
		}
		c.Close(&reassembly.ConnRecord{Info: *info})
	}
}

type discardOutput struct{}

func (discardOutput) exchange(*http1.Exchange, *SourceFile)               {}
func (discardOutput) connection(*reassembly.ConnRecord, int, *SourceFile) {}
