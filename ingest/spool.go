package ingest

import (
	"io"
	"sync"
)

// spool decompresses the first bytes of a gzip'd capture ahead, on a
// goroutine of its own, as soon as the file is opened. The run opens the
// next file of a rotated set this way while it reads the current one
// (readAll), so that the next file's decompression runs in parallel with
// the current file's; files opened in their turn (the first of a run, and
// every file while the run orders them by their first packet) are not
// spooled. One gzip stream cannot be decompressed by two cores, but two
// files can: gzip's inflate is slower than everything spanlake does after
// it, and the second core would otherwise have little to do.
//
// Only gzip: zstd decompresses faster than spanlake processes what comes
// out, so the file's own reading goroutine (blockStream) already hides it,
// and spooling it measured 0.06 s slower on a set of four 100 MB files
// (the copy through the spool, for nothing).
//
// It holds at most spoolBytes of decompressed data (the memory it costs a
// run of gzip'd files); beyond that its reader (the file's blockStream)
// reads the decompressor directly. A file of up to twice spoolBytes
// decompresses half ahead and half in turn, which is the best split over
// two cores; larger files gain spoolBytes' worth.
type spool struct {
	src    io.Reader
	chunks chan []byte // decompressed, in order; closed when the goroutine stops
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	err    error  // what ended the goroutine's reading (nil: the limit, or stop); read after chunks is closed
	chunk  []byte // the chunk being read, whole (it goes back to the free list)
	off    int    // bytes of chunk already read
}

const (
	// spoolBytes bounds what one file decompresses ahead (see spool).
	spoolBytes = 48 << 20
	spoolChunk = 1 << 20
)

// spoolChunks keeps the chunks of finished spools for the next ones (a
// sync.Pool would lose them at every garbage collection, and a fresh
// chunk costs its page faults): at most one spool's worth.
var spoolChunks = make(chan []byte, spoolBytes/spoolChunk)

func getSpoolChunk() []byte {
	select {
	case b := <-spoolChunks:
		return b
	default:
		return make([]byte, spoolChunk)
	}
}

func putSpoolChunk(b []byte) {
	select {
	case spoolChunks <- b[:cap(b)]:
	default:
	}
}

// newSpool starts decompressing src ahead.
func newSpool(src io.Reader) *spool {
	s := &spool{src: src, chunks: make(chan []byte, spoolBytes/spoolChunk), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *spool) run() {
	defer close(s.done)
	defer close(s.chunks)
	for range cap(s.chunks) {
		select {
		case <-s.stop:
			return
		default:
		}
		buf := getSpoolChunk()
		n, err := readBlock(s.src, buf)
		if n > 0 {
			s.chunks <- buf[:n] // never blocks: one slot per chunk
		} else {
			putSpoolChunk(buf)
		}
		if err != nil {
			s.err = err
			return
		}
	}
}

// Read returns the spooled bytes, then the spool's error, or reads src
// once the spool has stopped short of an error.
func (s *spool) Read(p []byte) (int, error) {
	for s.off == len(s.chunk) {
		if s.chunk != nil {
			putSpoolChunk(s.chunk)
			s.chunk, s.off = nil, 0
		}
		c, ok := <-s.chunks
		if !ok {
			if s.err != nil {
				return 0, s.err
			}
			return s.src.Read(p)
		}
		s.chunk, s.off = c, 0
	}
	n := copy(p, s.chunk[s.off:])
	s.off += n
	return n, nil
}

// Close stops the goroutine and waits for it, so that the caller may
// read or close what is underneath.
func (s *spool) Close() error {
	s.once.Do(func() { close(s.stop) })
	<-s.done
	return nil
}
