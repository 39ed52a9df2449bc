package etl

import (
	"io"
	"strconv"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

// maxBatchBytes bounds the encoded bytes of one batch handed to the
// Parquet writer, so that a batch of large bodies stays small.
const maxBatchBytes = 8 << 20

// newFactWriter returns the Parquet writer of a fact table file: the
// options of writeParquet (parquet_file.go), which the two must share.
func newFactWriter[T any](w io.Writer) *parquet.GenericWriter[T] {
	return parquet.NewGenericWriter[T](w,
		parquet.Compression(&parquet.Zstd),
		parquet.DataPageStatistics(true),
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.CreatedBy("spanlake", strconv.Itoa(schema.Version), ""),
		parquet.KeyValueMetadata("spanlake.schema_version", strconv.Itoa(schema.Version)),
	)
}

// fileLimits say where a sorted partition is cut into files: after
// maxRows rows, or once the rows' encoded bytes reach maxBytes (0: no
// limit). The cuts depend only on the sorted rows, so the files are the
// same whatever the arrival order and the memory budget.
type fileLimits struct {
	maxRows  int
	maxBytes int64
}

// writeFactFile writes the records of src, from its current one (src has
// been advanced onto it), to one Parquet file until limits cut it or src
// ends. It reports whether src has records left. Rows go to the writer in
// batches of writeBatch rows (fewer when maxBatchBytes is reached): the
// batching depends only on the rows, so the bytes of the file do too.
//
// The work is split in two stages that overlap: this goroutine merges the
// sorted runs and decodes batches of rows, a second one hands them to the
// Parquet writer, which encodes and compresses the pages. At commit the
// biggest table (http_header) would otherwise keep one core busy while
// the other waits. At most fileBatchesInFlight batches exist at a time,
// so the memory this costs is bounded by that many maxBatchBytes.
func writeFactFile[T any](w io.Writer, src recCursor, codec *rowCodec[T], lim fileLimits) (more bool, err error) {
	pw := newFactWriter[T](w)
	full := make(chan []T, fileBatchesInFlight-2)
	free := make(chan []T, fileBatchesInFlight)
	for range fileBatchesInFlight {
		free <- make([]T, 0, writeBatch)
	}
	done := make(chan error, 1)
	go func() {
		var werr error
		for batch := range full {
			if werr == nil {
				_, werr = pw.Write(batch)
			}
			clear(batch)
			free <- batch[:0]
		}
		if werr == nil {
			werr = pw.Close()
		}
		done <- werr
	}()
	// finish stops the writer stage and returns the first error.
	finish := func(err error) (bool, error) {
		close(full)
		if werr := <-done; err == nil {
			err = werr
		}
		return more && err == nil, err
	}

	batch := <-free
	var batchBytes, fileBytes int64
	rows := 0
	more = true
	for more && rows < lim.maxRows && (lim.maxBytes <= 0 || fileBytes < lim.maxBytes) {
		rec := src.record()
		batch = batch[:len(batch)+1]
		if err := codec.decodeRow(rec, &batch[len(batch)-1]); err != nil {
			full <- batch
			return finish(err)
		}
		rows++
		batchBytes += int64(len(rec))
		fileBytes += int64(len(rec))
		if len(batch) == writeBatch || batchBytes >= maxBatchBytes {
			full <- batch
			batch, batchBytes = <-free, 0
		}
		if more, err = src.advance(); err != nil {
			full <- batch
			return finish(err)
		}
	}
	if len(batch) > 0 {
		full <- batch
	}
	return finish(nil)
}

// fileBatchesInFlight is how many row batches writeFactFile keeps: one
// being decoded, one being written, one waiting between them.
const fileBatchesInFlight = 3
