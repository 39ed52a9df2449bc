package atomicfile

import (
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
)

// writeBuffer is the write buffer of Write: large, for whole-file writers
// such as Parquet encoders.
const writeBuffer = 1 << 20

// Write replaces dir/name (dir must exist) with what fill writes, with
// mode perm. On error, fill's included, no temporary file is left and an
// older dir/name is untouched.
func Write(dir, name string, perm fs.FileMode, fill func(io.Writer) error) error {
	f, err := create(dir, name, perm, writeBuffer)
	if err != nil {
		return err
	}
	if err := fill(f); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return f.Commit()
}
