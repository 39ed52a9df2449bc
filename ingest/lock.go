//go:build unix

package ingest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrLocked says another run holds the state directory's lock.
var ErrLocked = errors.New("another spanlake run holds the lock")

// Lock takes an exclusive, non-blocking lock on stateDir/lock, so two
// scheduled runs never write the same warehouse at once. The lock is
// released by Unlock or, if the process dies, by the kernel.
func Lock(stateDir string) (unlock func() error, err error) {
	if err := os.MkdirAll(stateDir, 0o750); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w", stateDir, err)
	}
	p := filepath.Join(stateDir, "lock")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", p, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	return f.Close, nil
}
