package etl

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/spanlake/spanlake/etl/atomicfile"
)

// filePerm is the mode of output files: readable by the group that loads
// the warehouse, not by everyone.
const filePerm = 0o640

// writeAtomic creates dir (if needed) and replaces dir/name with what fill
// writes, crash-safely (see package atomicfile).
func writeAtomic(dir, name string, fill func(io.Writer) error) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	return atomicfile.Write(dir, name, filePerm, fill)
}

// fileTracker remembers the files a run created (as opposed to replaced),
// so that a run that fails half-way can take them back: a reader then sees
// the warehouse as it was, not new facts without their dimensions.
type fileTracker struct {
	mu      sync.Mutex // Commit writes tables on two goroutines
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
		ft.mu.Lock()
		ft.created = append(ft.created, p)
		ft.mu.Unlock()
	}
	return nil
}

// rollback removes the files the run created. Files it replaced keep their
// new content: the old one is gone by then (rename), and the new one is a
// complete file of the same capture.
func (ft *fileTracker) rollback() error {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	var errs []error
	for _, p := range ft.created {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	ft.created = nil
	return errors.Join(errs...)
}
