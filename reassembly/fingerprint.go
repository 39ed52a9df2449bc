package reassembly

import (
	"encoding/binary"
	"math/bits"

	"github.com/cespare/xxhash/v2"
)

// fingerprint summarises delivered bytes so a later retransmission can be
// checked for conflicting content without keeping the bytes. Short segments
// are hashed whole; longer ones are sampled (16 words spread evenly,
// including both ends), because hashing every byte would more than double
// the cost of the in-order path. A conflict that changes only unsampled
// bytes of an already delivered long segment goes uncounted; conflicts with
// buffered data are always compared byte for byte.
func fingerprint(b []byte) uint64 {
	if len(b) <= 128 {
		return xxhash.Sum64(b)
	}
	const samples = 16
	h := uint64(len(b)) * 0x9e3779b97f4a7c15
	span := len(b) - 8
	for k := range samples {
		off := k * span / (samples - 1)
		w := binary.LittleEndian.Uint64(b[off:])
		h = bits.RotateLeft64(h^w, 31) * 0xc2b2ae3d27d4eb4f
	}
	return h ^ h>>29
}
