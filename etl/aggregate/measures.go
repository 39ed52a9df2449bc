package aggregate

import (
	"fmt"
	"math"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/axiomhq/hyperloglog"
	"github.com/cespare/xxhash/v2"
)

// RelativeAccuracy is the DDSketch relative accuracy of every latency
// quantile: a reported quantile is within 1% of the exact value
// (interpolated between ranks, like DuckDB's quantile_cont).
const RelativeAccuracy = 0.01

// Quantiles are the latency quantiles reported beside each sketch.
var Quantiles = [...]float64{0.5, 0.9, 0.95, 0.99}

// Measures are the mergeable measures of one group. The zero value is an
// empty group.
type Measures struct {
	Requests          int64 // fact rows (exchanges)
	RequestWireBytes  int64 // request header + body bytes on the wire
	RequestBodyBytes  int64 // request body after transfer decoding
	ResponseWireBytes int64 // response header + body bytes on the wire
	ResponseBodyBytes int64 // response body after transfer decoding
	Status4xx         int64 // final status 400-499
	Status5xx         int64 // final status 500-599
	ResponseMissing   int64 // requests without a response in the capture
	RequestMissing    int64 // responses without a request
	GapExchanges      int64 // exchanges with bytes lost to capture gaps
	GapBytes          int64 // request + response bytes lost to capture gaps
	AnomalyExchanges  int64 // exchanges with at least one anomaly code
	Anomalies         int64 // anomaly codes, summed
	TTFB              Latency
	Duration          Latency
	clients           *hyperloglog.Sketch
}

// Latency summarises one latency column: exact count, sum and max, and a
// DDSketch for quantiles. Values are microseconds.
type Latency struct {
	Count  int64
	SumUs  int64
	MaxUs  int64
	sketch *ddsketch.DDSketch
}

func newSketch() *ddsketch.DDSketch {
	s, err := ddsketch.LogUnboundedDenseDDSketch(RelativeAccuracy)
	if err != nil {
		panic("BUG: aggregate: DDSketch: " + err.Error())
	}
	return s
}

func (l *Latency) add(us int64) {
	if l.sketch == nil {
		l.sketch = newSketch()
	}
	if l.Count == 0 || us > l.MaxUs {
		l.MaxUs = us
	}
	l.Count++
	l.SumUs += us
	// Microsecond latencies are far inside the sketch's indexable range
	// (about 1e-300 to 1e300), so Add cannot fail.
	_ = l.sketch.Add(float64(us))
}

// merge adds another summary, given with its serialised sketch.
func (l *Latency) merge(count, sum, maxUs int64, sketch []byte) error {
	if count == 0 {
		return nil
	}
	if l.sketch == nil {
		l.sketch = newSketch()
	}
	if err := l.sketch.DecodeAndMergeWith(sketch); err != nil {
		return fmt.Errorf("cannot decode latency sketch: %w", err)
	}
	if l.Count == 0 || maxUs > l.MaxUs {
		l.MaxUs = maxUs
	}
	l.Count += count
	l.SumUs += sum
	return nil
}

// Quantile returns the q-quantile in microseconds, interpolated between the
// two nearest ranks as DuckDB's quantile_cont and numpy's default do, each
// rank's value read from the sketch; ok is false when there are no values.
func (l *Latency) Quantile(q float64) (v float64, ok bool) {
	if l.Count == 0 || l.sketch == nil {
		return 0, false
	}
	n := l.sketch.GetCount()
	r := q * (n - 1)
	lo := math.Floor(r)
	v = valueAtRank(l.sketch, lo)
	if r > lo {
		v += (r - lo) * (valueAtRank(l.sketch, lo+1) - v)
	}
	// The maximum is exact; a quantile above it is pure sketch error.
	return math.Min(v, float64(l.MaxUs)), true
}

// valueAtRank is DDSketch.GetValueAtQuantile with the rank given directly
// (0-based), so that quantiles can be interpolated between ranks.
func valueAtRank(s *ddsketch.DDSketch, rank float64) float64 {
	neg := s.GetNegativeValueStore().TotalCount()
	zero := s.GetZeroCount()
	switch {
	case rank < neg:
		return -s.Value(s.GetNegativeValueStore().KeyAtRank(neg - 1 - rank))
	case rank < neg+zero:
		return 0
	}
	return s.Value(s.GetPositiveValueStore().KeyAtRank(rank - neg - zero))
}

// encodeSketch serialises the sketch (with its index mapping) in
// sketches-go's binary encoding; nil when empty.
func (l *Latency) encodeSketch() []byte {
	if l.Count == 0 || l.sketch == nil {
		return nil
	}
	var b []byte
	l.sketch.Encode(&b, false)
	return b
}

// addClient counts a client address for the distinct-clients estimate.
func (m *Measures) addClient(ip string) {
	if m.clients == nil {
		m.clients = hyperloglog.New14()
	}
	m.clients.InsertHash(xxhash.Sum64String(ip))
}

func (m *Measures) mergeClients(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	var h hyperloglog.Sketch
	if err := h.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("cannot decode clients HyperLogLog: %w", err)
	}
	if m.clients == nil {
		m.clients = hyperloglog.New14()
	}
	if err := m.clients.Merge(&h); err != nil {
		return fmt.Errorf("cannot merge clients HyperLogLog: %w", err)
	}
	return nil
}

// DistinctClients estimates the number of distinct client addresses
// (HyperLogLog, precision 14: exact in practice below a few thousand, about
// 0.8% standard error above).
func (m *Measures) DistinctClients() int64 {
	if m.clients == nil {
		return 0
	}
	return int64(m.clients.Estimate())
}

func (m *Measures) encodeClients() []byte {
	if m.clients == nil {
		return nil
	}
	m.clients.Estimate() // compacts the sparse form, so equal inputs encode equally
	b, err := m.clients.MarshalBinary()
	if err != nil {
		panic("BUG: aggregate: HyperLogLog: " + err.Error())
	}
	return b
}

// addCounts adds the additive measures of o.
func (m *Measures) addCounts(o *Measures) {
	m.Requests += o.Requests
	m.RequestWireBytes += o.RequestWireBytes
	m.RequestBodyBytes += o.RequestBodyBytes
	m.ResponseWireBytes += o.ResponseWireBytes
	m.ResponseBodyBytes += o.ResponseBodyBytes
	m.Status4xx += o.Status4xx
	m.Status5xx += o.Status5xx
	m.ResponseMissing += o.ResponseMissing
	m.RequestMissing += o.RequestMissing
	m.GapExchanges += o.GapExchanges
	m.GapBytes += o.GapBytes
	m.AnomalyExchanges += o.AnomalyExchanges
	m.Anomalies += o.Anomalies
}
