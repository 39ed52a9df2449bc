package ingest

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestSpoolReadsLikeTheSource: whether the source ends before, at or
// after what is spooled, and with EOF or another error, the spool gives
// back exactly the source's bytes and then the source's error.
func TestSpoolReadsLikeTheSource(t *testing.T) {
	boom := errors.New("boom")
	for _, size := range []int{0, 1, spoolChunk - 1, spoolChunk, spoolBytes - 7, spoolBytes, spoolBytes + 3*spoolChunk + 5} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 31 >> 3)
		}
		for _, end := range []error{io.EOF, boom} {
			var src io.Reader = bytes.NewReader(data)
			if end != io.EOF {
				src = io.MultiReader(src, iotest.ErrReader(end))
			}
			s := newSpool(iotest.HalfReader(src))
			got, err := io.ReadAll(s)
			if end == io.EOF && err != nil || end != io.EOF && err != end {
				t.Fatalf("size %d: error %v, want %v", size, err, end)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("size %d, %v: read %d bytes, differing from the source's", size, end, len(got))
			}
			if _, err := s.Read(make([]byte, 10)); end != io.EOF && err != end {
				t.Fatalf("size %d: error not sticky: %v", size, err)
			}
			s.Close()
		}
	}
}

// TestSpoolCloseEarly: Close stops the goroutine before it has read
// everything it may, and waits for it.
func TestSpoolCloseEarly(t *testing.T) {
	src := &countingReader{r: bytes.NewReader(make([]byte, 4*spoolBytes))}
	s := newSpool(src)
	if _, err := s.Read(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	n := src.n // the goroutine has stopped: src is no longer read
	if n > spoolBytes {
		t.Fatalf("spooled %d bytes, more than %d", n, spoolBytes)
	}
	s.Close()
	if src.n != n {
		t.Fatal("source read after Close")
	}
}
