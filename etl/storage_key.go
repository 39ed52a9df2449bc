package etl

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"

	"github.com/spanlake/spanlake/ingest"
)

// storageKeyOf names the files (part-<key>-N.parquet) that the rows
// attributed to src go to. Normally that is the capture's own key. Rows
// completed from a checkpoint of connections carried over from an earlier
// run (ingest.SourceFile.Carry) belong to a capture that run already
// wrote; they go to files keyed by both the capture and the checkpoint, so
// they sit beside the capture's own files instead of replacing them, and a
// re-run from the same checkpoint (after a crash) replaces them instead of
// adding to them. Their source_file_key column is still the capture's key.
func storageKeyOf(src *ingest.SourceFile) uint64 {
	if src == nil {
		return 0
	}
	if src.Carry == 0 {
		return src.Key
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], src.Key)
	binary.LittleEndian.PutUint64(b[8:], src.Carry)
	return xxhash.Sum64(append([]byte("carried\x00"), b[:]...))
}
