package etl

import "bytes"

// uniqueCursor passes on one record per key of a sorted cursor: of the
// records with equal keys, the smallest encoding. Dimension keys are
// hashes of the member's natural value, so records with one key are
// normally equal; where two values normalise to one key (a Host with and
// without its port) the smallest is taken, not the first to arrive, so the
// file does not depend on arrival order, workers or the memory budget.
type uniqueCursor struct {
	src     recCursor
	started bool
	more    bool // src has a record after the current group
	k       recKey
	rec     []byte // the chosen record of the current group
}

// advance implements recCursor.
func (u *uniqueCursor) advance() (bool, error) {
	if !u.started {
		u.started = true
		more, err := u.src.advance()
		if err != nil {
			return false, err
		}
		u.more = more
	}
	if !u.more {
		return false, nil
	}
	u.k = u.src.key()
	u.rec = append(u.rec[:0], u.src.record()...)
	for {
		more, err := u.src.advance()
		if err != nil {
			return false, err
		}
		u.more = more
		if !more || u.src.key() != u.k {
			return true, nil
		}
		if r := u.src.record(); bytes.Compare(r, u.rec) < 0 {
			u.rec = append(u.rec[:0], r...)
		}
	}
}

func (u *uniqueCursor) key() recKey    { return u.k }
func (u *uniqueCursor) record() []byte { return u.rec }
func (u *uniqueCursor) close() error   { return u.src.close() }
