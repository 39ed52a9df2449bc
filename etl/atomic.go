package etl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// tempPrefix marks files being written. Readers skip names starting with a
// dot (DuckDB, Spark and Hive all ignore hidden files).
const tempPrefix = ".tmp-"

// filePerm is the mode of output files: readable by the group that loads
// the warehouse, not by everyone.
const filePerm = 0o640

// writeAtomic creates dir/name with the content that fill writes: it writes
// a temporary file in dir, fsyncs it, renames it over name and fsyncs dir.
// On error nothing is left behind and an older dir/name stays untouched.
func writeAtomic(dir, name string, fill func(io.Writer) error) (err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, tempPrefix+name+"-*")
	if err != nil {
		return fmt.Errorf("create temporary file in %s: %w", dir, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(filePerm); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := fill(bw); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}

// fileTracker remembers the files a run created (as opposed to replaced),
// so that a run that fails half-way can take them back: a reader then sees
// the warehouse as it was, not new facts without their dimensions.
type fileTracker struct {
	created []string
}

// write is writeAtomic, remembering dir/name if it did not exist before.
func (ft *fileTracker) write(dir, name string, fill func(io.Writer) error) error {
	p := filepath.Join(dir, name)
	_, statErr := os.Stat(p)
	if err := writeAtomic(dir, name, fill); err != nil {
		return err
	}
	if ft != nil && errors.Is(statErr, fs.ErrNotExist) {
		ft.created = append(ft.created, p)
	}
	return nil
}

// rollback removes the files the run created. Files it replaced keep their
// new content: the old one is gone by then (rename), and the new one is a
// complete file of the same capture.
func (ft *fileTracker) rollback() error {
	var errs []error
	for _, p := range ft.created {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	ft.created = nil
	return errors.Join(errs...)
}
