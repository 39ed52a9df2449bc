package etl

import (
	"io"
	"reflect"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/spanlake/spanlake/schema"
)

// writeBatch is how many rows go to the parquet writer per call: large
// enough to amortise the call, small enough to stay in cache.
const writeBatch = 1024

// rowGroupRows caps row groups; with zstd this gives groups of a few tens
// of MB for the fact table, sized for scans.
const rowGroupRows = 256 << 10

// parquetZstd is the compression of every file: zstd at its fastest
// level. Encoding the Parquet files is what a run's commit waits for, and
// on the small shape (BENCHMARKS.md) the fastest level gives 8 % more
// exchanges/s than the default one for files 0.8 % larger.
var parquetZstd = zstd.Codec{Level: zstd.SpeedFastest}

// newParquetWriter returns the writer of every Parquet file spanlake
// writes: zstd, row groups of at most rowGroupRows rows, the schema
// version in the key/value metadata, and min/max statistics where readers
// look for them: in each column chunk's metadata (row-group pruning:
// DuckDB, Spark, Trino, ClickHouse, BigQuery) and in the page index
// (ColumnIndex/OffsetIndex: page skipping in parquet-mr, Trino, Arrow).
//
// Statistics are not repeated in every data page header. That copy is the
// deprecated one (the page index replaced it in parquet-format 2.4), no
// reader we target filters on it, and parquet-go computes it in a second
// pass over every page: leaving it out makes http_header 14–18 % cheaper
// to encode (BenchmarkParquetWriteHeaders). TestParquetStatistics checks
// that the chunk statistics and the page index are still written.
//
// Writers are not recycled across files, although a new writer's buffers
// are a tenth of the bytes a run allocates: in parquet-go v0.32.0 a
// GenericWriter that was Reset writes files whose column chunks have an
// empty path_in_schema, which Spark and Athena refuse (parquet-go issue
// #602; seen here as files 104 bytes shorter than a new writer's).
func newParquetWriter[T any](w io.Writer) *parquet.GenericWriter[T] {
	return parquet.NewGenericWriter[T](w, parquetWriterOptions[T]()...)
}

// parquetWriterOptions are the options of newParquetWriter for rows of
// type T. The benchmarks add others after them (a later option wins).
func parquetWriterOptions[T any]() []parquet.WriterOption {
	opts := []parquet.WriterOption{
		parquet.Compression(&parquetZstd),
		parquet.DataPageStatistics(false),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.CreatedBy("spanlake", strconv.Itoa(schema.Version), ""),
		parquet.KeyValueMetadata("spanlake.schema_version", strconv.Itoa(schema.Version)),
	}
	for _, col := range noBounds[reflect.TypeFor[T]()] {
		opts = append(opts, parquet.SkipPageBounds(col))
	}
	return opts
}

// noBounds lists, per row type, the columns written without min/max
// (neither in the page index nor in the chunk statistics): free-form
// values whose bounds span nearly everything in every row group, so that
// no reader could ever prune with them, while computing them compared
// every value of every page. http_header's name and value took 12 % of
// its encoding (BenchmarkParquetWriteHeaders); name_lower, which queries
// filter on, keeps its bounds. Null counts are still written.
// TestParquetStatistics checks both sides.
var noBounds = map[reflect.Type][]string{
	reflect.TypeFor[schema.HTTPHeader](): {"direction", "name", "name_raw", "value", "value_raw"},
	reflect.TypeFor[schema.HTTPBody]():   {"body", "sha256", "sha256_decoded"},
	reflect.TypeFor[schema.HTTPParam]():  {"name_raw", "value", "value_raw"},
}

// writeParquet encodes rows as one Parquet file.
func writeParquet[T any](w io.Writer, rows []T) error {
	pw := newParquetWriter[T](w)
	for i := 0; i < len(rows); i += writeBatch {
		j := min(i+writeBatch, len(rows))
		if _, err := pw.Write(rows[i:j]); err != nil {
			return err
		}
	}
	return pw.Close()
}
