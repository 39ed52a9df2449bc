package etl

import (
	"io"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

// writeBatch is how many rows go to the parquet writer per call: large
// enough to amortise the call, small enough to stay in cache.
const writeBatch = 1024

// rowGroupRows caps row groups; with zstd this gives groups of a few tens
// of MB for the fact table, sized for scans.
const rowGroupRows = 256 << 10

// writeParquet encodes rows as one Parquet file: zstd, statistics and page
// index on, the schema version in the key/value metadata.
func writeParquet[T any](w io.Writer, rows []T) error {
	pw := parquet.NewGenericWriter[T](w,
		parquet.Compression(&parquet.Zstd),
		parquet.DataPageStatistics(true),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.CreatedBy("spanlake", strconv.Itoa(schema.Version), ""),
		parquet.KeyValueMetadata("spanlake.schema_version", strconv.Itoa(schema.Version)),
	)
	for i := 0; i < len(rows); i += writeBatch {
		j := min(i+writeBatch, len(rows))
		if _, err := pw.Write(rows[i:j]); err != nil {
			return err
		}
	}
	return pw.Close()
}
