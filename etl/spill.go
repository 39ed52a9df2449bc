package etl

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spanlake/spanlake/etl/atomicfile"
)

// Spill runs.
//
// When the rows buffered by the warehouse exceed its memory budget
// (budget.go), the largest buffered partition is sorted and written to a
// spill run: a temporary file of records, each
//
//	time (8 bytes, little endian) | id (8 bytes) | uvarint length | row (rowCodec)
//
// At Commit the runs of a partition and what is left of it in memory are
// merged (merge.go) into the partition's Parquet files.
//
// Why not temporary Parquet files: a run is written once, front to back,
// and read once, front to back, never by column. A stream of records needs
// no footer and no row-group buffering to write, and one small read buffer
// per run to merge (a Parquet reader holds a page per column per run); it
// is the buffers' own encoding, so spilling a partition copies bytes
// without re-encoding a row; and it round-trips every row exactly (nil
// and empty slices included), so spilled rows are written exactly like
// rows that never left memory. The runs are temporary files: nothing but
// this process reads them, and they are not fsynced.
//
// Runs live in the warehouse's MetaDir with atomicfile.TempPrefix, so the crash
// cleanup of OpenWarehouse (atomicfile.RemoveTemps) removes those of a killed run;
// Commit removes them once merged and Rollback removes the rest.

// spillRunPattern names run files (os.CreateTemp pattern).
const spillRunPattern = atomicfile.TempPrefix + "spill-*.run"

// runBufferBytes is the read and write buffer of one run.
const runBufferBytes = 64 << 10

// spillRun is one sorted run of a partition's rows, in a temporary file.
type spillRun struct {
	path    string
	records int64
	bytes   int64 // file size
}

// writeRun writes the records of src, in order, to a new run file in dir.
func writeRun(dir string, src recCursor) (run spillRun, err error) {
	f, err := os.CreateTemp(dir, spillRunPattern)
	if err != nil {
		return run, fmt.Errorf("create spill run in %s: %w", dir, err)
	}
	run.path = f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(run.path)
		}
	}()
	bw := bufio.NewWriterSize(f, runBufferBytes)
	var head [16 + binary.MaxVarintLen64]byte
	for {
		ok, err := src.advance()
		if err != nil {
			return run, err
		}
		if !ok {
			break
		}
		k, rec := src.key(), src.record()
		binary.LittleEndian.PutUint64(head[0:], uint64(k.ts))
		binary.LittleEndian.PutUint64(head[8:], uint64(k.id))
		n := 16 + binary.PutUvarint(head[16:], uint64(len(rec)))
		if _, err := bw.Write(head[:n]); err != nil {
			return run, fmt.Errorf("write spill run %s: %w", run.path, err)
		}
		if _, err := bw.Write(rec); err != nil {
			return run, fmt.Errorf("write spill run %s: %w", run.path, err)
		}
		run.records++
		run.bytes += int64(n + len(rec))
	}
	if err := bw.Flush(); err != nil {
		return run, fmt.Errorf("write spill run %s: %w", run.path, err)
	}
	if err := f.Close(); err != nil {
		return run, fmt.Errorf("close spill run %s: %w", run.path, err)
	}
	return run, nil
}

// remove deletes the run's file.
func (r spillRun) remove() error {
	if err := os.Remove(r.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove spill run: %w", err)
	}
	return nil
}

// runReader is a recCursor over a run file.
type runReader struct {
	path string
	f    *os.File
	r    *bufio.Reader
	k    recKey
	rec  []byte
}

// openRun opens a run for reading.
func openRun(run spillRun) (*runReader, error) {
	f, err := os.Open(run.path)
	if err != nil {
		return nil, fmt.Errorf("open spill run: %w", err)
	}
	return &runReader{path: run.path, f: f, r: bufio.NewReaderSize(f, runBufferBytes)}, nil
}

// advance implements recCursor: it reads the next record.
func (c *runReader) advance() (bool, error) {
	var head [16]byte
	if _, err := io.ReadFull(c.r, head[:]); err != nil {
		if err == io.EOF {
			return false, nil
		}
		return false, c.corrupt(err)
	}
	c.k = recKey{ts: int64(binary.LittleEndian.Uint64(head[0:])), id: int64(binary.LittleEndian.Uint64(head[8:]))}
	n, err := binary.ReadUvarint(c.r)
	if err != nil {
		return false, c.corrupt(err)
	}
	if n > maxRunRecord {
		return false, c.corrupt(errCorruptRecord)
	}
	if uint64(cap(c.rec)) < n {
		c.rec = make([]byte, n)
	}
	c.rec = c.rec[:n]
	if _, err := io.ReadFull(c.r, c.rec); err != nil {
		return false, c.corrupt(err)
	}
	return true, nil
}

// maxRunRecord bounds a record's length, so that a damaged run cannot
// make a reader allocate without bound.
const maxRunRecord = 1 << 31

// corrupt wraps a read error; an end of file inside a record is a
// truncated run.
func (c *runReader) corrupt(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read spill run %s: %w", c.path, err)
}

// key implements recCursor.
func (c *runReader) key() recKey { return c.k }

// record implements recCursor.
func (c *runReader) record() []byte { return c.rec }

// close implements recCursor: it closes the file (Commit or Rollback
// removes it).
func (c *runReader) close() error { return c.f.Close() }

// maxMergeFanIn bounds the runs merged at once: each open run holds a read
// buffer and a record.
const maxMergeFanIn = 64

// compactRuns merges the oldest runs into one until at most fanIn are
// left, and returns the runs that remain, oldest first. Merging adjacent
// runs and putting the result in their place keeps arrival order.
func compactRuns(dir string, runs []spillRun, fanIn int) ([]spillRun, error) {
	fanIn = max(fanIn, 2)
	for len(runs) > fanIn {
		group := runs[:fanIn]
		merged, err := mergeRuns(dir, group)
		if err != nil {
			return runs, err
		}
		for _, r := range group {
			if err := r.remove(); err != nil {
				return append([]spillRun{merged}, runs...), err
			}
		}
		runs = append([]spillRun{merged}, runs[fanIn:]...)
	}
	return runs, nil
}

// mergeRuns writes the merge of runs to a new run.
func mergeRuns(dir string, runs []spillRun) (spillRun, error) {
	srcs, err := openRuns(runs)
	if err != nil {
		return spillRun{}, err
	}
	m := newMerger(srcs)
	merged, err := writeRun(dir, m)
	if cerr := m.close(); err == nil && cerr != nil {
		merged.remove()
		return spillRun{}, cerr
	}
	return merged, err
}

// openRuns opens runs as cursors; on error it closes those it opened.
func openRuns(runs []spillRun) ([]recCursor, error) {
	srcs := make([]recCursor, 0, len(runs)+1)
	for _, r := range runs {
		c, err := openRun(r)
		if err != nil {
			for _, s := range srcs {
				s.close()
			}
			return nil, err
		}
		srcs = append(srcs, c)
	}
	return srcs, nil
}
