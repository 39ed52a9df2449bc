package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/cespare/xxhash/v2"
)

// TestBlockStreamReadsLikeTheSource: Peeks, Discards and Reads of random
// sizes, across many block boundaries, from sources that return little at
// a time, give back exactly the source's bytes, and the source's error
// only after its last byte; with a digest, the digest has hashed exactly
// those bytes.
func TestBlockStreamReadsLikeTheSource(t *testing.T) {
	data := make([]byte, 3*blockData+blockHeadroom/3)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	boom := errors.New("boom")
	sources := map[string]func() io.Reader{
		"whole":     func() io.Reader { return bytes.NewReader(data) },
		"half":      func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		"data+EOF":  func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
		"error":     func() io.Reader { return io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)) },
		"one bytes": func() io.Reader { return io.LimitReader(iotest.OneByteReader(bytes.NewReader(data)), 70_000) },
	}
	for name, src := range sources {
		for _, hashed := range []bool{false, true} {
			if hashed {
				name += ", hashed"
			}
			testBlockStreamSource(t, name, src, hashed, data, boom, rng)
		}
	}
}

func testBlockStreamSource(t *testing.T, name string, src func() io.Reader, hashed bool, data []byte, boom error, rng *rand.Rand) {
	t.Run(name, func(t *testing.T) {
		want := data
		wantErr := io.EOF
		if strings.HasPrefix(name, "error") {
			wantErr = boom
		}
		if strings.HasPrefix(name, "one bytes") {
			want = data[:70_000]
		}
		var digest *xxhash.Digest
		if hashed {
			digest = xxhash.New()
		}
		s := newBlockStream(src(), digest)
		defer s.Close()
		var got []byte
		for step := 0; ; step++ {
			n := 1 + rng.IntN(blockHeadroom)
			if step%3 == 0 {
				buf := make([]byte, n)
				m, err := s.Read(buf)
				got = append(got, buf[:m]...)
				if err != nil {
					if err != wantErr || m != 0 {
						t.Fatalf("Read: %d, %v; want 0, %v", m, err, wantErr)
					}
					break
				}
				continue
			}
			b, err := s.Peek(n)
			if len(b) > n || (err == nil && len(b) != n) {
				t.Fatalf("Peek(%d) = %d bytes, %v", n, len(b), err)
			}
			if err != nil && err != wantErr {
				t.Fatalf("Peek: %v, want %v", err, wantErr)
			}
			got = append(got, b...)
			s.Discard(len(b))
			if s.Offset() != int64(len(got)) {
				t.Fatalf("Offset %d after %d bytes", s.Offset(), len(got))
			}
			if err != nil {
				break
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("read %d bytes, differing from the source's %d", len(got), len(want))
		}
		if hashed && digest.Sum64() != xxhash.Sum64(want) {
			t.Fatal("the digest did not hash the bytes read")
		}
	})
}

// TestBlockStreamCloseEarly: closing in the middle stops the goroutines
// (which may be blocked handing over a block) and later calls fail
// instead of blocking; the digest has hashed every byte taken from the
// source, so hashing the rest gives the source's hash (contentHash).
func TestBlockStreamCloseEarly(t *testing.T) {
	data := make([]byte, 10*blockData)
	for i := range data {
		data[i] = byte(i * 7)
	}
	src := bytes.NewReader(data)
	digest := xxhash.New()
	s := newBlockStream(src, digest)
	if _, err := s.Peek(100); err != nil {
		t.Fatal(err)
	}
	// Close with blocks in flight: the hand-over queues full, the hasher
	// and the filling goroutine each blocked with a block of their own.
	for deadline := time.Now().Add(5 * time.Second); len(s.filled) < cap(s.filled) || len(s.read) < cap(s.read); {
		if time.Now().After(deadline) {
			t.Fatal("the stream did not read ahead")
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	s.Close()
	if b, err := s.Peek(1); len(b) != 0 || err == nil {
		t.Fatalf("Peek after Close: %d bytes, %v", len(b), err)
	}
	s.Close()
	if _, err := io.Copy(digest, src); err != nil {
		t.Fatal(err)
	}
	if digest.Sum64() != xxhash.Sum64(data) {
		t.Fatalf("hash after Close and the rest (%d bytes left) differs from the source's", src.Len())
	}
}

// TestPcapRecordsAcrossBlocks: records of every size up to the fast
// path's maximum, over many blocks, so that records straddle block
// boundaries at every kind of offset, read as pcapgo reads them, also
// when the file is cut inside the last one.
func TestPcapRecordsAcrossBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var frames [][]byte
	var lens []uint32
	total := 0
	for total < 5*blockData {
		n := rng.IntN(3000)
		if rng.IntN(20) == 0 {
			n = rng.IntN(pcapFastMax + 1)
		}
		f := make([]byte, n)
		for i := range f {
			f[i] = byte(rng.Uint32())
		}
		frames, lens = append(frames, f), append(lens, uint32(n))
		total += 16 + n
	}
	data := pcapOf(binary.LittleEndian, false, pcapFastMax, frames, lens)
	samePcapReading(t, data)
	for _, cut := range []int{len(data) - 1, len(data) - len(frames[len(frames)-1]) - 16 - 3, blockData + 7} {
		samePcapReading(t, data[:cut])
	}
}
