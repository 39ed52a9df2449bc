package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// RemoveTemps deletes every temporary file (IsTemp) in the tree under
// root: what a process killed while writing left behind. A missing root is
// not an error. Call it only where no other process is writing: the
// warehouse under its run lock, an output directory at the start of a
// command that owns it.
func RemoveTemps(root string) error {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return filepath.SkipDir
			}
			return err
		}
		if !d.IsDir() && IsTemp(d.Name()) {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove temporary file %s: %w", p, err)
			}
		}
		return nil
	})
	return err
}
