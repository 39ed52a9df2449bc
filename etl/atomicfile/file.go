package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// streamBuffer is the write buffer of a File: small, since a caller may
// keep many files open at once.
const streamBuffer = 64 << 10

// File is a file being written in place of dir/name. Nothing is visible
// under name until Commit; Abort (or a crash) leaves dir/name as it was.
// A File is not safe for concurrent use.
type File struct {
	f     *os.File
	bw    *bufio.Writer
	final string
	done  bool
}

// Create starts writing dir/name: a temporary file in dir (which must
// exist) with mode perm.
func Create(dir, name string, perm fs.FileMode) (*File, error) {
	return create(dir, name, perm, streamBuffer)
}

func create(dir, name string, perm fs.FileMode, bufSize int) (*File, error) {
	f, err := os.CreateTemp(dir, tempPattern(name))
	if err != nil {
		return nil, fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	return &File{f: f, bw: newBufWriter(f, bufSize), final: filepath.Join(dir, name)}, nil
}

// bigWriters recycles the writeBuffer-sized buffers of finished Files: a
// run writes a few dozen Parquet files, and a fresh megabyte for each was
// a fifth of the bytes a run allocated.
var bigWriters sync.Pool // of *bufio.Writer

// newBufWriter returns a buffered writer of size bytes writing to w.
func newBufWriter(w io.Writer, size int) *bufio.Writer {
	if size == writeBuffer {
		if bw, ok := bigWriters.Get().(*bufio.Writer); ok {
			bw.Reset(w)
			return bw
		}
	}
	return bufio.NewWriterSize(w, size)
}

// releaseBuffer gives the File's buffer back; the File is done.
func (f *File) releaseBuffer() {
	if f.bw != nil && f.bw.Size() == writeBuffer {
		f.bw.Reset(io.Discard)
		bigWriters.Put(f.bw)
	}
	f.bw = nil
}

// Write buffers p for the temporary file.
func (f *File) Write(p []byte) (int, error) {
	if f.done {
		return 0, fmt.Errorf("write %s: %w", f.final, os.ErrClosed)
	}
	return f.bw.Write(p)
}

// Commit flushes, fsyncs and closes the temporary file, renames it over
// dir/name and fsyncs dir. On an error before the rename the temporary
// file is removed and dir/name is untouched.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: %w", f.final, os.ErrClosed)
	}
	f.done = true
	tmp := f.f.Name()
	fail := func(step string, err error) error {
		f.f.Close()
		os.Remove(tmp)
		return fmt.Errorf("%s %s: %w", step, f.final, err)
	}
	err := f.bw.Flush()
	f.releaseBuffer()
	if err != nil {
		return fail("write", err)
	}
	if err := f.f.Sync(); err != nil {
		return fail("fsync", err)
	}
	if err := f.f.Close(); err != nil {
		return fail("close", err)
	}
	if err := os.Rename(tmp, f.final); err != nil {
		return fail("rename", err)
	}
	return SyncDir(filepath.Dir(f.final))
}

// Abort drops the temporary file, leaving dir/name as it was. After
// Commit or another Abort it does nothing, so it can be deferred.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	f.releaseBuffer()
	f.f.Close()
	if err := os.Remove(f.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
