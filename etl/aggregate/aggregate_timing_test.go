package aggregate

import (
	"context"
	"testing"
	"time"
)

func benchmarkAggregate(b *testing.B, q Query, input string) {
	fx := newFixture(b, 200_000, 21, fxStart, 6*time.Hour)
	opts := Options{Warehouse: fx.dir}
	if input != "" {
		r, err := Aggregate(context.Background(), opts, Query{Grain: GrainMinute, By: []Dim{DimVhost, DimStatus, DimPath}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := WriteTable(fx.dir, r[0]); err != nil {
			b.Fatal(err)
		}
		opts.Input = input
	}
	b.ReportAllocs()
	b.ResetTimer()
	var rows int64
	for b.Loop() {
		res, err := Aggregate(context.Background(), opts, q)
		if err != nil {
			b.Fatal(err)
		}
		rows += res[0].RowsRead
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkAggregateFactsHourByVhostStatus(b *testing.B) {
	benchmarkAggregate(b, Query{Grain: GrainHour, By: []Dim{DimVhost, DimStatus}}, "")
}

func BenchmarkAggregateFactsMinuteByPathClientUA(b *testing.B) {
	benchmarkAggregate(b, Query{Grain: GrainMinute, By: []Dim{DimPath, DimClient, DimUserAgentFamily}}, "")
}

func BenchmarkReaggregateMinuteToHour(b *testing.B) {
	benchmarkAggregate(b, Query{Grain: GrainHour, By: []Dim{DimVhost}}, "agg_http_minute")
}
