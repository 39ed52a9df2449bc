package logs

import (
	"reflect"
	"testing"
	"time"

	"github.com/spanlake/spanlake/schema"
)

// TestRecordKeepsFactColumnsWithoutDirective: the fact columns no log
// directive renders still reach the Record, so --format json has them.
func TestRecordKeepsFactColumnsWithoutDirective(t *testing.T) {
	ttfb, up, down := int64(1234), int64(517), int64(4096)
	f := schema.FactHTTPExchange{ExchangeID: 1, InterimStatus: 100, TTFBMicros: &ttfb,
		RequestGapBytes: 7, ResponseGapBytes: 9, Upgraded: true, RequestBodyTruncated: true, ResponseBodyTruncated: true,
		RequestTunnelBytes: &up, ResponseTunnelBytes: &down,
		Anomalies: []string{"body_gap", "bare_lf"}}
	r := record(&f, nil, nil)
	d := 1234 * time.Microsecond
	want := Record{InterimStatus: 100, TTFB: &d, RequestGapBytes: 7, ResponseGapBytes: 9, Upgraded: true,
		RequestTunnelBytes: 517, ResponseTunnelBytes: 4096, RequestBodyTruncated: true, ResponseBodyTruncated: true, Anomalies: []string{"body_gap", "bare_lf"}}
	got := Record{InterimStatus: r.InterimStatus, TTFB: r.TTFB, RequestGapBytes: r.RequestGapBytes, ResponseGapBytes: r.ResponseGapBytes,
		Upgraded: r.Upgraded, RequestTunnelBytes: r.RequestTunnelBytes, ResponseTunnelBytes: r.ResponseTunnelBytes, RequestBodyTruncated: r.RequestBodyTruncated, ResponseBodyTruncated: r.ResponseBodyTruncated, Anomalies: r.Anomalies}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("record: %+v, want %+v", got, want)
	}
	f.TTFBMicros = nil
	if r := record(&f, nil, nil); r.TTFB != nil {
		t.Errorf("no ttfb_us: TTFB %v, want nil", *r.TTFB)
	}
}
