package ingest

import (
	"io"
	"sync"
)

// readAhead runs a reader — a decompressor — in its own goroutine, a few
// blocks ahead of its consumer, so that decompressing a .gz or .zst capture
// (the main cost of reading one) runs on another core, in parallel with
// packet decoding and reassembly, instead of in series with them.
//
// It is written here rather than taken from klauspost/pgzip because it is
// the same few lines for every compression, and because errors keep their
// exact position: an error is returned only after every byte before it,
// so damage is still reported at the offset of the last good record.
type readAhead struct {
	filled chan readAheadBlock
	free   chan []byte
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
	cur    readAheadBlock
	off    int
}

type readAheadBlock struct {
	b   []byte
	err error
}

const (
	readAheadBlockSize = 256 << 10
	readAheadBlocks    = 4
)

func newReadAhead(src io.Reader) *readAhead {
	r := &readAhead{filled: make(chan readAheadBlock, readAheadBlocks), free: make(chan []byte, readAheadBlocks+1), stop: make(chan struct{})}
	for range readAheadBlocks + 1 {
		r.free <- make([]byte, readAheadBlockSize)
	}
	r.wg.Add(1)
	go r.fill(src)
	return r
}

// fill reads src into free blocks until an error (io.EOF included), which
// travels after the data read before it.
func (r *readAhead) fill(src io.Reader) {
	defer r.wg.Done()
	for {
		var buf []byte
		select {
		case buf = <-r.free:
		case <-r.stop:
			return
		}
		n, err := readBlock(src, buf)
		select {
		case r.filled <- readAheadBlock{b: buf[:n], err: err}:
		case <-r.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// readBlock fills buf from src up to the first error, which it returns
// unchanged (unlike io.ReadFull, which would turn a decompressor's own
// io.ErrUnexpectedEOF into something else).
func readBlock(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := src.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (r *readAhead) Read(p []byte) (int, error) {
	for r.off == len(r.cur.b) {
		if r.cur.err != nil {
			return 0, r.cur.err
		}
		if r.cur.b != nil {
			r.free <- r.cur.b[:cap(r.cur.b)]
		}
		r.cur, r.off = <-r.filled, 0
	}
	n := copy(p, r.cur.b[r.off:])
	r.off += n
	return n, nil
}

// Close stops the goroutine and waits for it (it may be inside a Read of
// src, which the caller closes afterwards).
func (r *readAhead) Close() error {
	r.once.Do(func() { close(r.stop) })
	r.wg.Wait()
	return nil
}
