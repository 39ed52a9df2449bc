package ingest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// LedgerEntry records one capture file a run processed.
type LedgerEntry struct {
	Path        string    `json:"path"`
	Size        int64     `json:"size"`
	ModTime     time.Time `json:"mtime"`
	Key         string    `json:"key"`                     // SourceFile.Key in hex
	ContentHash string    `json:"content_xxh64,omitempty"` // xxHash64 of the stored bytes, in hex
	FirstPacket time.Time `json:"first_packet,omitzero"`
	LastPacket  time.Time `json:"last_packet,omitzero"`
	Packets     uint64    `json:"packets"`
	Result      string    `json:"result"` // "ok" or "damaged"
	Error       string    `json:"error,omitempty"`
	IngestedAt  time.Time `json:"ingested_at"`
}

// Ledger is the list of capture files already ingested into a warehouse,
// kept as JSON lines in the state directory. It is appended to only after
// the warehouse has committed a run, so a crash in between leaves the files
// unrecorded and the next run processes them again — which replaces their
// rows, because output files are named after the capture.
type Ledger struct {
	path    string
	entries map[string]LedgerEntry // by path
}

const ledgerFile = "ledger.jsonl"

// OpenLedger reads the ledger in stateDir (creating the directory).
func OpenLedger(stateDir string) (*Ledger, error) {
	if err := os.MkdirAll(stateDir, 0o750); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w", stateDir, err)
	}
	l := &Ledger{path: filepath.Join(stateDir, ledgerFile), entries: map[string]LedgerEntry{}}
	f, err := os.Open(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var e LedgerEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// A torn last line (crash while appending) is ignored: the file
			// it described is simply processed again.
			continue
		}
		l.entries[e.Path] = e
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read ledger %s: %w", l.path, err)
	}
	return l, nil
}

// Done reports whether the file at path, with this size and modification
// time, was ingested already.
func (l *Ledger) Done(path string, size int64, mtime time.Time) bool {
	e, ok := l.entries[path]
	return ok && e.Size == size && e.ModTime.Equal(mtime)
}

// Record appends entries for the sources of a committed run and fsyncs.
func (l *Ledger) Record(sources []*SourceFile, now time.Time) error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("open ledger: %w", err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	for _, s := range sources {
		st, err := os.Stat(s.Path)
		if err != nil {
			continue // gone since: nothing to skip next time
		}
		e := LedgerEntry{Path: s.Path, Size: st.Size(), ModTime: st.ModTime().UTC(), Key: fmt.Sprintf("%016x", s.Key), ContentHash: contentHashHex(s),
			FirstPacket: s.FirstPacket, LastPacket: s.LastPacket, Packets: s.Decode.Packets, Result: "ok", IngestedAt: now.UTC()}
		if s.Err != "" {
			e.Result, e.Error = "damaged", s.Err
		}
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		w.Write(append(b, '\n'))
		l.entries[e.Path] = e
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write ledger: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync ledger: %w", err)
	}
	return nil
}

func contentHashHex(s *SourceFile) string {
	if s.ContentHash == 0 {
		return ""
	}
	return fmt.Sprintf("%016x", s.ContentHash)
}

// Selection is what an incremental run does with its candidate files.
type Selection struct {
	Process []string // new and settled
	Done    []string // already in the ledger
	Waiting []string // still being written: left for the next run
}

// SelectNew picks the candidate files an incremental run should process:
// those not in the ledger whose last modification is older than settle, and
// — unless includeNewest — not the newest file of their directory, which is
// the one a rotating tcpdump is still writing.
func SelectNew(paths []string, l *Ledger, now time.Time, settle time.Duration, includeNewest bool) (Selection, error) {
	var sel Selection
	type cand struct {
		path  string
		mtime time.Time
	}
	newest := map[string]cand{}
	var cands []cand
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return sel, fmt.Errorf("stat %s: %w", p, err)
		}
		c := cand{p, st.ModTime()}
		dir := filepath.Dir(p)
		if n, ok := newest[dir]; !ok || c.mtime.After(n.mtime) || (c.mtime.Equal(n.mtime) && naturalLess(n.path, c.path)) {
			newest[dir] = c
		}
		if l != nil && l.Done(p, st.Size(), st.ModTime().UTC()) {
			sel.Done = append(sel.Done, p)
			continue
		}
		cands = append(cands, c)
	}
	for _, c := range cands {
		if now.Sub(c.mtime) < settle || (!includeNewest && newest[filepath.Dir(c.path)].path == c.path) {
			sel.Waiting = append(sel.Waiting, c.path)
			continue
		}
		sel.Process = append(sel.Process, c.path)
	}
	sort.Strings(sel.Waiting)
	return sel, nil
}
