package ingest

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/spanlake/spanlake/etl/atomicfile"
)

// CarryStore keeps the checkpoints of carried-over connections in
// STATE/carry: for checkpoint number N, N.pcapng (the packets) and N.json
// (what they are). The JSON is written last, so a checkpoint without it is
// garbage from a killed run.
//
// A checkpoint is only valid once the ledger lists every capture file of
// the run that wrote it: the ledger is recorded after the warehouse commit,
// so a run killed before that point leaves a checkpoint that Load ignores,
// and the next run starts again from the previous one — together with the
// files the killed run had taken, which the ledger does not list either.
// Prune removes the older checkpoints once a newer one is valid.
type CarryStore struct{ dir string }

const carryVersion = 1

// carryMeta is N.json.
type carryMeta struct {
	Version int       `json:"version"`
	Seq     int64     `json:"seq"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Covers are the capture files of the run that wrote it, as the
	// ledger records them.
	Covers     []carryCover  `json:"covers"`
	Sources    []carrySource `json:"sources"`
	Interfaces []int         `json:"interfaces"`
	Conns      []carryConn   `json:"connections"`
	Packets    int64         `json:"packets"`
	PcapBytes  int64         `json:"pcap_bytes"`
}

type carryCover struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
}

type carrySource struct {
	Key         string    `json:"key"`
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	FirstPacket time.Time `json:"first_packet"`
	LastPacket  time.Time `json:"last_packet"`
}

type carryConn struct {
	ID        string    `json:"id"`
	Client    string    `json:"client"`
	Server    string    `json:"server"`
	VLAN      uint16    `json:"vlan,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Exchanges int       `json:"exchanges_written"`
	Bytes     int64     `json:"bytes"`
}

// OpenCarryStore opens (creating) STATE/carry.
func OpenCarryStore(stateDir string) (*CarryStore, error) {
	dir := filepath.Join(stateDir, "carry")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create carry-over directory %s: %w", dir, err)
	}
	return &CarryStore{dir: dir}, nil
}

// seqs lists the checkpoint numbers with a JSON file, newest first.
func (s *CarryStore) seqs() ([]int64, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("read carry-over directory: %w", err)
	}
	var out []int64
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			if v, err := strconv.ParseInt(n, 10, 64); err == nil {
				out = append(out, v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out, nil
}

func (s *CarryStore) path(seq int64, ext string) string {
	return filepath.Join(s.dir, fmt.Sprintf("%010d%s", seq, ext))
}

// Load returns the newest valid checkpoint, or nil when there is none.
func (s *CarryStore) Load(l *Ledger) (*CarryIn, error) {
	seqs, err := s.seqs()
	if err != nil {
		return nil, err
	}
	for _, seq := range seqs {
		m, err := s.readMeta(seq)
		if err != nil || !m.valid(l, s.path(seq, ".pcapng")) {
			continue
		}
		return m.carryIn(s.path(seq, ".pcapng"))
	}
	return nil, nil
}

func (s *CarryStore) readMeta(seq int64) (*carryMeta, error) {
	b, err := os.ReadFile(s.path(seq, ".json"))
	if err != nil {
		return nil, err
	}
	var m carryMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m.Version != carryVersion || m.Seq != seq {
		return nil, fmt.Errorf("carry-over %d: unknown version %d", seq, m.Version)
	}
	return &m, nil
}

// valid: every file of the run that wrote it is in the ledger, and the
// packet file is whole.
func (m *carryMeta) valid(l *Ledger, pcap string) bool {
	for _, c := range m.Covers {
		if !l.Done(c.Path, c.Size, c.ModTime) {
			return false
		}
	}
	if m.Packets == 0 {
		return true
	}
	st, err := os.Stat(pcap)
	return err == nil && st.Size() == m.PcapBytes
}

func (m *carryMeta) carryIn(pcap string) (*CarryIn, error) {
	id, err := strconv.ParseUint(m.ID, 16, 64)
	if err != nil {
		return nil, fmt.Errorf("carry-over %d: bad id: %w", m.Seq, err)
	}
	in := &CarryIn{ID: id, Path: pcap, Interfaces: m.Interfaces, Written: map[uint64]int{}}
	if m.Packets == 0 {
		in.Path = ""
	}
	for _, s := range m.Sources {
		key, err := strconv.ParseUint(s.Key, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("carry-over %d: bad source key: %w", m.Seq, err)
		}
		in.Sources = append(in.Sources, &SourceFile{Key: key, Name: s.Name, Path: s.Path, FirstPacket: s.FirstPacket, LastPacket: s.LastPacket, Carry: id})
	}
	for i, si := range m.Interfaces {
		if si < 0 || si >= len(in.Sources) {
			return nil, fmt.Errorf("carry-over %d: interface %d names no source", m.Seq, i)
		}
	}
	for _, c := range m.Conns {
		id, err := strconv.ParseUint(c.ID, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("carry-over %d: bad connection id: %w", m.Seq, err)
		}
		in.Written[id] = c.Exchanges
	}
	return in, nil
}

// Save writes the checkpoint of a finished run: the packets of sum.Carried
// (read again from in and the run's files) and their description. It
// returns the new checkpoint's number, 0 when nothing is carried.
func (s *CarryStore) Save(in *CarryIn, sum *Summary, now time.Time) (int64, error) {
	if len(sum.Carried) == 0 {
		return 0, nil
	}
	seqs, err := s.seqs()
	if err != nil {
		return 0, err
	}
	seq := int64(1)
	if len(seqs) > 0 {
		seq = seqs[0] + 1
	}
	m := &carryMeta{Version: carryVersion, Seq: seq, Created: now.UTC()}
	h := xxhash.New()
	h.WriteString("carry\x00")
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seq))
	h.Write(b[:])
	if in != nil {
		binary.LittleEndian.PutUint64(b[:], in.ID)
		h.Write(b[:])
	}
	for _, src := range sum.Sources {
		binary.LittleEndian.PutUint64(b[:], src.Key)
		h.Write(b[:])
		if st, err := os.Stat(src.Path); err == nil {
			m.Covers = append(m.Covers, carryCover{Path: src.Path, Size: st.Size(), ModTime: st.ModTime().UTC()})
		}
	}
	m.ID = fmt.Sprintf("%016x", h.Sum64())
	var cw *carryWriter
	size, err := writeFileAtomic(s.path(seq, ".pcapng"), func(w io.Writer) error {
		var err error
		if cw, err = writeCarryPackets(w, in, sum.Sources, sum.Carried); err != nil {
			return err
		}
		return cw.flush()
	})
	if err != nil {
		return 0, fmt.Errorf("write carry-over: %w", err)
	}
	m.PcapBytes, m.Packets, m.Interfaces = size, cw.packets, cw.ifaceSource
	for _, src := range cw.sources {
		m.Sources = append(m.Sources, carrySource{Key: fmt.Sprintf("%016x", src.Key), Name: src.Name, Path: src.Path,
			FirstPacket: src.FirstPacket, LastPacket: src.LastPacket})
	}
	for _, c := range sum.Carried {
		m.Conns = append(m.Conns, carryConn{ID: fmt.Sprintf("%016x", c.ID), Client: c.Client.String(), Server: c.Server.String(),
			VLAN: c.VLAN, FirstSeen: c.FirstSeen, LastSeen: c.LastSeen, Exchanges: c.Exchanges, Bytes: c.Bytes})
	}
	js, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return 0, err
	}
	if _, err := writeFileAtomic(s.path(seq, ".json"), func(w io.Writer) error {
		_, err := w.Write(append(js, '\n'))
		return err
	}); err != nil {
		return 0, fmt.Errorf("write carry-over: %w", err)
	}
	return seq, nil
}

// Prune removes every checkpoint but keep (all of them when keep is 0) and
// any leftover of a killed run.
func (s *CarryStore) Prune(keep int64) error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("read carry-over directory: %w", err)
	}
	var errs []error
	for _, e := range ents {
		if keep != 0 && strings.HasPrefix(e.Name(), fmt.Sprintf("%010d.", keep)) {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// writeFileAtomic writes path crash-safely (see package atomicfile),
// private to the user running spanlake as before; it returns the size
// written.
func writeFileAtomic(path string, fill func(io.Writer) error) (int64, error) {
	if err := atomicfile.Write(filepath.Dir(path), filepath.Base(path), 0o600, fill); err != nil {
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
