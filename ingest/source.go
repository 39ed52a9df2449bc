package ingest

import (
	"encoding/binary"
	"path/filepath"
	"sort"
	"time"

	"github.com/cespare/xxhash/v2"
)

// SourceFile describes one capture file of a run; it becomes a row of
// dim_source_file.
type SourceFile struct {
	// Key identifies the capture, not where it lies: a hash of its base
	// name, size and first packet time. Moving a file and ingesting it
	// again therefore replaces its rows instead of adding to them.
	Key         uint64
	Path        string
	Name        string
	Size        int64 // bytes on disk
	Container   Container
	Compression Compression
	LinkType    string

	FirstPacket, LastPacket time.Time
	Bytes                   int64  // capture bytes read (after decompression)
	ContentHash             uint64 // xxHash64 of the file as stored (0 if it could not be read)
	Decode                  DecodeStats

	// AcksSeen and AcksForUnseenData estimate capture loss the way Zeek's
	// capture_loss.log does: an ACK for bytes never seen means the capture
	// missed them.
	AcksSeen, AcksForUnseenData uint64

	// Err is the damage that stopped reading, "" when the file was read to
	// its end; ErrOffset is where it was found.
	Err       string
	ErrOffset int64

	// Carry is non-zero for a capture ingested by an earlier run whose
	// open connections this run completes from a checkpoint (carry.go):
	// the ID of that checkpoint. Such a file is not read again; the rows
	// attributed to it are stored apart from the ones its own run wrote.
	Carry uint64
}

// sourceKey derives SourceFile.Key.
func sourceKey(path string, size int64, first time.Time) uint64 {
	h := xxhash.New()
	h.WriteString("source_file\x00")
	h.WriteString(filepath.Base(path))
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(size))
	binary.LittleEndian.PutUint64(b[8:], uint64(first.UnixMicro()))
	h.Write(b[:])
	return h.Sum64()
}

// sourceIndex finds the source file a packet time belongs to: files are
// read in packet-time order, so it is the last one that began at or before
// ts. Rows are attributed to the file holding their first byte.
type sourceIndex struct {
	files []*SourceFile // with packets, in reading order
}

func (s *sourceIndex) add(f *SourceFile) {
	if !f.FirstPacket.IsZero() {
		s.files = append(s.files, f)
	}
}

func (s *sourceIndex) lookup(ts time.Time) *SourceFile {
	if len(s.files) == 0 {
		return nil
	}
	i := sort.Search(len(s.files), func(i int) bool { return s.files[i].FirstPacket.After(ts) })
	if i == 0 {
		return s.files[0]
	}
	return s.files[i-1]
}

func baseName(p string) string { return filepath.Base(p) }
