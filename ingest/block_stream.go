package ingest

import (
	"io"
	"sync"

	"github.com/cespare/xxhash/v2"
)

// blockStream is what the capture readers read a file through. A
// goroutine of its own reads the stored file — through its decompressor
// and the content hash (open.go) when it is compressed — into large
// blocks, a few blocks ahead of the reader; the reader takes records out
// of the blocks in place. An uncompressed file's blocks pass through a
// second goroutine, which hashes them (hash).
//
// Why a goroutine even for an uncompressed file: the read system call
// copies every byte of the capture once and xxHash reads every byte once
// more. On the reading goroutine those two were a third of its time on a
// capture of large responses (BENCHMARKS.md), and that goroutine is the
// one every packet of the run passes through; here they run on other
// cores, in parallel with decoding and dispatch. For a compressed file the
// goroutine is where decompression — the main cost of reading one — runs.
//
// Why not bufio: a bufio.Reader on top of the blocks would copy every byte
// a second time. Peek and Discard give the same zero-copy reads as bufio's,
// out of the block itself: the bytes left at the end of a block, when a
// record needs more, are copied into the headroom in front of the next
// block's data, so any Peek of up to blockHeadroom bytes is contiguous.
//
// Errors keep their exact position: the error that ended reading (io.EOF
// included) travels after every byte read before it, so damage is still
// reported at the offset of the last good record.
type blockStream struct {
	read   chan streamBlock // read, to be hashed (hashed streams only)
	filled chan streamBlock
	free   chan *streamBuf // this stream's buffers, back from the reader
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	cur      streamBlock // the block being read: cur.buf.b[off:cur.end]
	off      int
	consumed int64 // bytes handed out by Read and Discard
	made     int   // buffers taken from streamBufs by the filling goroutine
}

// streamBlock is a buffer with its data and the error that followed it.
type streamBlock struct {
	buf *streamBuf
	end int   // data is buf.b[blockHeadroom:end] as filled
	err error // after the data; nil while more follows
}

// streamBuf is one block's memory: blockHeadroom bytes, then blockData.
type streamBuf struct{ b []byte }

const (
	// blockHeadroom is the longest contiguous Peek: a pcap record header
	// and the longest record pcapRecords takes in place (libpcap's
	// MAXIMUM_SNAPLEN).
	blockHeadroom = 16 + pcapFastMax
	// blockData is what one read fills: large enough that a system call
	// (or a decompressor's call) moves a useful amount, small enough that
	// a block is still in cache when the reader gets to it. On the large
	// shape, 256 KiB blocks two ahead took 0.22 s a run against 0.23 s
	// for 1 MiB blocks three ahead (and 0.27 s for the bufio reading of
	// before), 9 interleaved runs each.
	blockData = 256 << 10
	// blocksAhead is how far the filling goroutine may run ahead.
	blocksAhead = 2
)

// streamBufs recycles block buffers across files (a rotated set is
// hundreds of files; each would otherwise allocate its blocks anew).
var streamBufs = sync.Pool{New: func() any { return &streamBuf{b: make([]byte, blockHeadroom+blockData)} }}

// newBlockStream starts reading src. With a digest, every byte read from
// src goes through it, on a goroutine of its own (hash): for an
// uncompressed file the read system call and the hash were the filling
// goroutine's two costs, and on captures of large segments (TSO, 16 KB a
// packet) that goroutine, not decoding, set the pace of the run.
func newBlockStream(src io.Reader, digest *xxhash.Digest) *blockStream {
	s := &blockStream{
		filled: make(chan streamBlock, blocksAhead),
		free:   make(chan *streamBuf, blocksAhead+3),
		stop:   make(chan struct{}),
	}
	out := s.filled
	if digest != nil {
		s.read = make(chan streamBlock, 1)
		out = s.read
		s.wg.Add(1)
		go s.hash(digest)
	}
	s.wg.Add(1)
	go s.fill(src, out)
	return s
}

// hash writes the blocks read to digest, in order, and hands them on.
// After Close it still hashes every block read, so that the digest has
// every byte taken from the source (contentHash goes on from there).
func (s *blockStream) hash(digest *xxhash.Digest) {
	defer s.wg.Done()
	for b := range s.read {
		digest.Write(b.buf.b[blockHeadroom:b.end])
		select {
		case s.filled <- b:
		case <-s.stop:
			streamBufs.Put(b.buf)
		}
	}
}

// fill reads src into blocks, which it sends on out, until an error
// (io.EOF included), which travels after the data read before it.
func (s *blockStream) fill(src io.Reader, out chan streamBlock) {
	defer s.wg.Done()
	if out == s.read {
		defer close(s.read)
	}
	for {
		var buf *streamBuf
		select {
		case buf = <-s.free:
		default:
			if s.made < cap(s.free) {
				s.made++
				buf = streamBufs.Get().(*streamBuf)
				break
			}
			select {
			case buf = <-s.free:
			case <-s.stop:
				return
			}
		}
		n, err := readBlock(src, buf.b[blockHeadroom:])
		b := streamBlock{buf: buf, end: blockHeadroom + n, err: err}
		if out == s.read {
			s.read <- b // the hasher takes every block, even after Close
		} else {
			select {
			case s.filled <- b:
			case <-s.stop:
				streamBufs.Put(buf)
				return
			}
		}
		if err != nil {
			return
		}
		select {
		case <-s.stop:
			return
		default:
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

// Peek returns the next n bytes without consuming them, in place: valid
// until the next call of any method. n must not exceed blockHeadroom.
// With fewer than n bytes left it returns those and the error that ended
// the stream.
func (s *blockStream) Peek(n int) ([]byte, error) {
	for s.cur.end-s.off < n {
		if s.cur.err != nil {
			if s.cur.buf == nil { // closed
				return nil, s.cur.err
			}
			return s.cur.buf.b[s.off:s.cur.end], s.cur.err
		}
		next := <-s.filled
		left := s.cur.end - s.off
		if s.cur.buf != nil {
			copy(next.buf.b[blockHeadroom-left:blockHeadroom], s.cur.buf.b[s.off:s.cur.end])
			s.free <- s.cur.buf
		}
		s.cur, s.off = next, blockHeadroom-left
	}
	return s.cur.buf.b[s.off : s.off+n : s.off+n], nil
}

// Discard consumes n bytes that a Peek returned.
func (s *blockStream) Discard(n int) {
	s.off += n
	s.consumed += int64(n)
}

// Read copies out the next bytes (the io.Reader of pcapng's reader and of
// records too long to take in place).
func (s *blockStream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if s.cur.end == s.off {
		if b, err := s.Peek(1); len(b) == 0 {
			return 0, err
		}
	}
	n := copy(p, s.cur.buf.b[s.off:s.cur.end])
	s.Discard(n)
	return n, nil
}

// Offset is the number of bytes consumed (read or discarded).
func (s *blockStream) Offset() int64 { return s.consumed }

// Close stops the goroutine and waits for it (it may be inside a Read of
// src, which the caller closes afterwards). The stream's buffers go back
// to streamBufs: nothing Peek returned may be used after Close.
func (s *blockStream) Close() error {
	s.once.Do(func() {
		close(s.stop)
		s.wg.Wait()
		if s.cur.buf != nil {
			streamBufs.Put(s.cur.buf)
		}
		s.cur, s.off = streamBlock{err: io.ErrClosedPipe}, 0
		for {
			select {
			case b := <-s.filled:
				streamBufs.Put(b.buf)
			case b := <-s.free:
				streamBufs.Put(b)
			default:
				return
			}
		}
	})
	return nil
}
