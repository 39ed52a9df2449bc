package etl

import (
	"errors"
	"io"
	"sync/atomic"
)

// maxBatchBytes bounds the encoded bytes of one batch handed to the
// Parquet writer, so that a batch of large bodies stays small.
const maxBatchBytes = 8 << 20

// fileLimits say where a sorted partition is cut into files: after
// maxRows rows, or once the rows' encoded bytes reach maxBytes (0: no
// limit). The cuts depend only on the sorted rows, so the files are the
// same whatever the arrival order and the memory budget.
type fileLimits struct {
	maxRows  int
	maxBytes int64
}

// rowSource yields the rows of one partition, sorted, in file order.
type rowSource[R any] interface {
	// more reports whether a row is left.
	more() bool
	// next decodes the next row into r and returns the encoded bytes it
	// stands for (what maxBytes and maxBatchBytes count). The row's
	// strings may be held by arena, the arena of r's batch.
	next(r *R, arena *rowArena) (int64, error)
}

// rowBatch is a batch of rows on its way to the Parquet writer, with the
// arena that holds their strings.
type rowBatch[R any] struct {
	rows  []R
	arena rowArena
}

// empty drops the batch's rows, then the bytes their strings point to:
// the writer has copied them, or they will not be written.
func (b *rowBatch[R]) empty() {
	clear(b.rows)
	b.rows = b.rows[:0]
	b.arena.reset()
}

// recordRows is the rowSource of a table whose records are its rows.
type recordRows[T any] struct {
	src   recCursor
	codec *rowCodec[T]
	has   bool
}

// newRecordRows reads src (not yet advanced) with codec.
func newRecordRows[T any](src recCursor, codec *rowCodec[T]) (*recordRows[T], error) {
	has, err := src.advance()
	return &recordRows[T]{src: src, codec: codec, has: has}, err
}

func (s *recordRows[T]) more() bool { return s.has }

func (s *recordRows[T]) next(r *T, arena *rowArena) (int64, error) {
	rec := s.src.record()
	if err := s.codec.decodeRowIn(rec, r, arena); err != nil {
		return 0, err
	}
	var err error
	s.has, err = s.src.advance()
	return int64(len(rec)), err
}

// blockRows is the rowSource of a table buffered in blocks of rows (one
// record per exchange: headerBlock): each record is expanded into its
// rows, which may go to two files when a file is cut inside a block (so
// its rows do not use the arena of a batch).
type blockRows[B, R any] struct {
	src     recCursor
	codec   *rowCodec[B]
	expand  func(*B, []R) []R
	has     bool
	block   B
	pending []R
	i       int
	perRow  int64 // the block's encoded bytes spread over its rows
}

// newBlockRows reads src (not yet advanced) with codec and expand.
func newBlockRows[B, R any](src recCursor, codec *rowCodec[B], expand func(*B, []R) []R) (*blockRows[B, R], error) {
	has, err := src.advance()
	return &blockRows[B, R]{src: src, codec: codec, expand: expand, has: has}, err
}

func (s *blockRows[B, R]) more() bool { return s.i < len(s.pending) || s.has }

func (s *blockRows[B, R]) next(r *R, _ *rowArena) (int64, error) {
	for s.i == len(s.pending) {
		rec := s.src.record()
		if err := s.codec.decodeRow(rec, &s.block); err != nil {
			return 0, err
		}
		clear(s.pending)
		s.pending, s.i = s.expand(&s.block, s.pending[:0]), 0
		s.perRow = int64(len(rec)) / int64(max(len(s.pending), 1))
		var err error
		if s.has, err = s.src.advance(); err != nil {
			return 0, err
		}
		if len(s.pending) == 0 && !s.has {
			return 0, errors.New("row block without rows at the end of a partition")
		}
	}
	*r = s.pending[s.i]
	s.i++
	return s.perRow, nil
}

// writeFiles cuts the rows of src into Parquet files at lim, in order. For
// each file it calls newFile, which starts writing the file (on a goroutine
// of its own) with the function it is handed and returns the channel its
// result comes on. It returns how many rows it wrote.
//
// The work of a file is split in two stages that overlap: this goroutine
// merges the sorted runs and decodes batches of rows (produceFile), the
// file's goroutine hands them to the Parquet writer, which encodes and
// compresses the pages (consumeFile). At most fileBatchesInFlight batches
// exist per file.
//
// The files of a partition are written one after the other. Producing the
// next file while the previous one is still being encoded was tried: on
// the small shape (1.39 M header rows, three files) it measured no faster
// on 2 cores (medians of 11 interleaved runs: 39,382 and 39,237
// exchanges/s) and holds two Parquet writers' buffers at once.
//
// The batches, and the arenas their strings are held in, serve every file
// of the partition in turn (each file hands all of them back before the
// next starts), and the arenas go back to a pool for the next partition:
// made anew for each file, they were a twentieth of the bytes a run
// allocated.
func writeFiles[R any](src rowSource[R], lim fileLimits, newFile newFileFunc) (rows int64, err error) {
	free := make(chan *rowBatch[R], fileBatchesInFlight)
	for range fileBatchesInFlight {
		free <- &rowBatch[R]{rows: make([]R, 0, writeBatch), arena: takeArena()}
	}
	defer func() {
		for range fileBatchesInFlight {
			select {
			case b := <-free:
				b.arena.giveBack()
			default: // lost with a file that failed: the GC has it
			}
		}
	}()
	for src.more() && err == nil {
		full := make(chan *rowBatch[R], fileBatchesInFlight-2)
		// A file whose rows could not all be read must not be kept: its
		// writer returns an error, so the file is abandoned, not renamed
		// over an earlier version of it. (Closing full publishes the flag.)
		var aborted atomic.Bool
		fw := newFile(func(w io.Writer) error {
			if err := consumeFile(w, full, free); err != nil {
				return err
			}
			if aborted.Load() {
				return errFileAborted
			}
			return nil
		})
		// A writer can end without reading a batch (its file could not be
		// created): the producer then stops rather than wait for it.
		n, perr := produceFile(src, lim, full, free, fw.done)
		rows += n
		if perr != nil {
			err = perr
			aborted.Store(true)
		}
		close(full)
		<-fw.done
		for b := range full { // left by a writer that ended early
			b.empty()
			free <- b
		}
		if err == nil || errors.Is(err, errWriterEnded) {
			err = fw.err
		}
	}
	return rows, err
}

// errWriterEnded is what produceFile returns when the file's writer ended
// before it had all the rows (its own error is the one reported).
var errWriterEnded = errors.New("file writer ended early")

// errFileAborted is what a file's writer returns when its rows could not
// all be read (the reader's error is the one reported).
var errFileAborted = errors.New("file abandoned: its rows could not be read")

// produceFile decodes the rows of one file from src into batches on full
// (taking empty ones from free) until lim cuts the file or src ends. Rows
// go out in batches of writeBatch rows (fewer when
// maxBatchBytes is reached): the batching depends only on the rows, so the
// bytes of the file do too.
func produceFile[R any](src rowSource[R], lim fileLimits, full, free chan *rowBatch[R], ended <-chan struct{}) (rows int64, err error) {
	// put hands a batch to the writer and take gets an empty one, unless
	// the writer has ended.
	put := func(b *rowBatch[R]) bool {
		select {
		case full <- b:
			return true
		case <-ended:
			return false
		}
	}
	take := func() (*rowBatch[R], bool) {
		select {
		case b := <-free:
			return b, true
		case <-ended:
			return nil, false
		}
	}
	batch, ok := take()
	if !ok {
		return 0, errWriterEnded
	}
	var batchBytes, fileBytes int64
	for src.more() && rows < int64(lim.maxRows) && (lim.maxBytes <= 0 || fileBytes < lim.maxBytes) {
		batch.rows = batch.rows[:len(batch.rows)+1]
		n, err := src.next(&batch.rows[len(batch.rows)-1], &batch.arena)
		if err != nil {
			put(batch)
			return rows, err
		}
		rows++
		batchBytes += n
		fileBytes += n
		if len(batch.rows) == writeBatch || batchBytes >= maxBatchBytes {
			if !put(batch) {
				return rows, errWriterEnded
			}
			if batch, ok = take(); !ok {
				return rows, errWriterEnded
			}
			batchBytes = 0
		}
	}
	if len(batch.rows) == 0 {
		free <- batch
		return rows, nil
	}
	if !put(batch) {
		return rows, errWriterEnded
	}
	return rows, nil
}

// consumeFile writes the batches on full as one Parquet file, handing each
// back on free; after an error it goes on draining full, so that the
// producer never blocks.
func consumeFile[R any](w io.Writer, full <-chan *rowBatch[R], free chan<- *rowBatch[R]) error {
	pw := newParquetWriter[R](w)
	var err error
	for batch := range full {
		if err == nil {
			_, err = pw.Write(batch.rows)
		}
		batch.empty() // the writer has copied the values
		free <- batch
	}
	if err == nil {
		err = pw.Close()
	}
	return err
}

// fileBatchesInFlight is how many row batches a file keeps: one being
// decoded, one being written, one waiting between them.
const fileBatchesInFlight = 3
