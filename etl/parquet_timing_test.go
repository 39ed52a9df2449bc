package etl

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"

	"github.com/spanlake/spanlake/schema"
)

// The benchmarks below measure the last stage of a run, Parquet encoding,
// on rows shaped like the small benchmark capture's (keep-alive API
// traffic: ~10 header lines per message, values that vary per exchange).
// They report rows/s, so `benchstat` shows a regression in the writer's
// options or row layout directly.

// benchHeaderNames are the request, then the response header names of
// every benchmark exchange.
var benchHeaderNames = [2][]string{
	{"Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language", "Authorization", "X-Request-Id", "Content-Type", "Content-Length", "Connection"},
	{"Server", "Date", "Content-Type", "Content-Length", "Connection", "Cache-Control", "ETag", "X-Request-Id", "Vary", "Strict-Transport-Security"},
}

// benchHeaderBlocks returns n exchanges' header blocks in time order.
func benchHeaderBlocks(n int) []headerBlock {
	rng := rand.New(rand.NewPCG(1, 2))
	base := int64(1_767_323_045_000_000)
	out := make([]headerBlock, n)
	for i := range out {
		id := int64(rng.Uint64())
		hb := headerBlock{ExchangeID: id, ConnectionID: int64(i / 100), DateKey: 20260102, RequestTS: base + int64(i)*137,
			Request: int32(len(benchHeaderNames[0]))}
		for d, names := range benchHeaderNames {
			for _, name := range names {
				var v string
				switch name {
				case "Host":
					v = fmt.Sprintf("api%d.example.com", rng.IntN(4))
				case "X-Request-Id", "ETag":
					v = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
				case "Content-Length":
					v = fmt.Sprint(rng.IntN(2000))
				case "Date":
					v = fmt.Sprintf("Fri, 02 Jan 2026 03:%02d:%02d GMT", i/60000%60, i/1000%60)
				case "Authorization":
					v = fmt.Sprintf("hmac-sha256:%016x", rng.Uint64())
				default:
					v = fmt.Sprintf("%s-value-%d", name, rng.IntN(3+d))
				}
				hb.Names, hb.Values = append(hb.Names, name), append(hb.Values, v)
			}
		}
		out[i] = hb
	}
	return out
}

// BenchmarkParquetWriteHeaders encodes the http_header rows of 10,000
// exchanges (200,000 rows) as one file.
func BenchmarkParquetWriteHeaders(b *testing.B) {
	var rows []schema.HTTPHeader
	for _, hb := range benchHeaderBlocks(10_000) {
		rows = expandHeaderBlock(&hb, rows)
	}
	benchmarkWriteParquet(b, rows)
}

// BenchmarkParquetWriteExchanges encodes 10,000 fact_http_exchange rows as
// one file.
func BenchmarkParquetWriteExchanges(b *testing.B) {
	benchmarkWriteParquet(b, benchExchangeRows(10_000))
}

// benchExchangeRows returns n fact rows shaped like the small shape's.
func benchExchangeRows(n int) []schema.FactHTTPExchange {
	rng := rand.New(rand.NewPCG(3, 4))
	rows := make([]schema.FactHTTPExchange, n)
	for i := range rows {
		ts := int64(1_767_323_045_000_000) + int64(i)*137
		ttfb, dur := int64(200+rng.IntN(900)), int64(400+rng.IntN(2000))
		rows[i] = schema.FactHTTPExchange{ExchangeID: int64(rng.Uint64()), ConnectionID: int64(i / 100), DateKey: 20260102,
			TimeKey: 184, ClientKey: int64(rng.Uint64() % 50), ServerKey: 7, VhostKey: int64(rng.IntN(4)), URLKey: int64(rng.IntN(300)),
			UserAgentKey: int64(rng.IntN(10)), ContentTypeKey: 3, SourceFileKey: 11,
			ClientIP: fmt.Sprintf("10.0.%d.%d", rng.IntN(2), rng.IntN(25)), ClientPort: int32(30000 + i/100), ServerIP: "10.1.0.1", ServerPort: 80,
			TransDepth: int32(i%100 + 1), Method: "GET", RequestVersion: "HTTP/1.1",
			RequestLine: fmt.Sprintf("GET /api/v1/items/%d?page=%d HTTP/1.1", rng.IntN(300), rng.IntN(9)),
			URI:         fmt.Sprintf("/api/v1/items/%d?page=%d", rng.IntN(300), rng.IntN(9)), Query: fmt.Sprintf("page=%d", rng.IntN(9)),
			Host: "api1.example.com", StatusCode: 200, Reason: "OK", ResponseVersion: "HTTP/1.1",
			RequestTS: ts, RequestEndTS: ts + 3, ResponseTS: ts + 3 + ttfb, ResponseEndTS: ts + dur, TTFBMicros: &ttfb, DurationUs: &dur,
			RequestHeaderBytes: int64(300 + rng.IntN(200)), ResponseHeaderBytes: int64(250 + rng.IntN(100)),
			ResponseBodyWireBytes: int64(rng.IntN(2000)), ResponseBodyBytes: int64(rng.IntN(2000)),
			RequestComplete: true, ResponseComplete: true}
	}
	return rows
}

// BenchmarkParquetCodecs encodes the http_header and fact_http_exchange
// rows of the same 10,000 exchanges with spanlake's writer options under
// three codecs, and reports the cost per exchange. It measures the floor
// that Parquet encoding with parquet-go puts under issue #8's target of
// 150,000 small exchanges a second per core, which leaves 6.7 µs an
// exchange for everything: read it with -cpu 1 (BENCHMARKS.md, "Against
// issue #8").
func BenchmarkParquetCodecs(b *testing.B) {
	const exchanges = 10_000
	var headers []schema.HTTPHeader
	for _, hb := range benchHeaderBlocks(exchanges) {
		headers = expandHeaderBlock(&hb, headers)
	}
	facts := benchExchangeRows(exchanges)
	for _, c := range []struct {
		name  string
		codec compress.Codec
	}{{"zstd-fastest", &parquetZstd}, {"snappy", &snappy.Codec{}}, {"uncompressed", &uncompressed.Codec{}}} {
		b.Run("http_header/"+c.name, func(b *testing.B) {
			benchmarkWriteParquet(b, headers, parquet.Compression(c.codec))
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/exchanges, "ns/exchange")
		})
		b.Run("fact_http_exchange/"+c.name, func(b *testing.B) {
			benchmarkWriteParquet(b, facts, parquet.Compression(c.codec))
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/exchanges, "ns/exchange")
		})
	}
}

// benchmarkWriteParquet writes rows as one Parquet file per iteration,
// with spanlake's writer options followed by extra.
func benchmarkWriteParquet[T any](b *testing.B, rows []T, extra ...parquet.WriterOption) {
	opts := append(parquetWriterOptions[T](), extra...)
	b.ReportAllocs()
	for b.Loop() {
		pw := parquet.NewGenericWriter[T](io.Discard, opts...)
		for i := 0; i < len(rows); i += writeBatch {
			if _, err := pw.Write(rows[i:min(i+writeBatch, len(rows))]); err != nil {
				b.Fatal(err)
			}
		}
		if err := pw.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkExpandHeaderBlock turns one exchange's buffered header block
// (20 lines) into its http_header rows, as a file is written.
func BenchmarkExpandHeaderBlock(b *testing.B) {
	blocks := benchHeaderBlocks(100)
	var rows []schema.HTTPHeader
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		rows = expandHeaderBlock(&blocks[i%len(blocks)], rows[:0])
		i++
	}
}

// BenchmarkRowCodecHeaderBlock encodes and decodes one exchange's header
// block, the record http_header is buffered, spilled and merged as.
func BenchmarkRowCodecHeaderBlock(b *testing.B) {
	c := mustRowCodec[headerBlock]()
	hb := benchHeaderBlocks(1)[0]
	buf := c.appendRow(nil, &hb)
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = c.appendRow(buf[:0], &hb)
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		var out headerBlock
		for b.Loop() {
			if err := c.decodeRow(buf, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
