package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression names the compression wrapped around a capture file.
type Compression string

// Compressions recognised by their magic bytes (never by the file name, so a
// rotated "capture.pcap3" that is in fact gzip'd is still read).
const (
	CompressionNone Compression = "none"
	CompressionGzip Compression = "gzip"
	CompressionZstd Compression = "zstd"
)

var (
	magicGzip = []byte{0x1f, 0x8b}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// hashingReader hashes everything read through it. xxHash64 runs at
// memory speed, so the content hash costs nothing next to the packet
// decoding; it identifies a file's bytes, it does not defend against
// someone forging a collision (the ledger is not a security boundary).
type hashingReader struct {
	r io.Reader
	h *xxhash.Digest
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// contentHash reads what is left of the stored file (after damage, or
// bytes past the end of a compressed stream) and returns the xxHash64 of
// all of it.
func (o *openedFile) contentHash() (uint64, error) {
	o.blocks.Close() // their goroutines read the file too
	if o.spool != nil {
		o.spool.Close()
	}
	if _, err := io.Copy(io.Discard, o.hashed); err != nil {
		return 0, err
	}
	return o.hashed.h.Sum64(), nil
}

// openedFile is a capture file opened for reading, decompressed if needed.
type openedFile struct {
	size        int64
	compression Compression
	closers     []func() error
	hashed      *hashingReader // hashes the bytes as stored (before decompression)
	blocks      *blockStream   // what the capture readers read (block_stream.go)
	spool       *spool         // gzip'd files: decompresses the first bytes ahead
}

func (o *openedFile) Close() error {
	var errs []error
	for i := len(o.closers) - 1; i >= 0; i-- {
		errs = append(errs, o.closers[i]())
	}
	return errors.Join(errs...)
}

// openCapture opens path and unwraps its compression; with ahead, a
// gzip'd file starts decompressing its first bytes at once (spool.go).
func openCapture(path string, ahead bool) (*openedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	o, err := openStream(f, st.Size(), ahead)
	if err != nil {
		f.Close()
		return nil, err
	}
	o.closers = append([]func() error{f.Close}, o.closers...)
	return o, nil
}

// openStream unwraps the compression of a capture stream, sniffed from its
// first bytes (never from a file name, so a rotated "capture.pcap3" that is
// in fact gzip'd is still read), and starts reading it on a goroutine of
// its own (blockStream); with ahead, a gzip'd stream is spooled.
func openStream(in io.Reader, size int64, ahead bool) (*openedFile, error) {
	o := &openedFile{size: size, compression: CompressionNone, hashed: &hashingReader{r: in, h: xxhash.New()}}
	var head [4]byte
	n, err := io.ReadFull(in, head[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	// An uncompressed file is read into the blocks straight from the file:
	// one copy of every byte, made by the filling goroutine, and hashed by
	// the block stream's hashing goroutine. A compressed one is hashed as
	// it is read, under the decompressor.
	var src io.Reader = io.MultiReader(bytes.NewReader(head[:n]), in)
	digest := o.hashed.h
	if bytes.HasPrefix(head[:n], magicGzip) || bytes.HasPrefix(head[:n], magicZstd) {
		o.hashed.h.Write(head[:n])
		src, digest = io.MultiReader(bytes.NewReader(head[:n]), o.hashed), nil
	}
	switch {
	case bytes.HasPrefix(head[:n], magicGzip):
		zr, err := gzip.NewReader(bufio.NewReaderSize(src, compressedBufferSize))
		if err != nil {
			return nil, fmt.Errorf("gzip header: %w", err)
		}
		o.compression = CompressionGzip
		o.closers = append(o.closers, zr.Close)
		src = zr
	case bytes.HasPrefix(head[:n], magicZstd):
		// A window above 64 MiB is refused: tcpdump | zstd never needs more,
		// and a hostile header must not make us allocate gigabytes.
		zr, err := zstd.NewReader(bufio.NewReaderSize(src, compressedBufferSize), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(64<<20), zstd.WithDecoderMaxMemory(64<<20))
		if err != nil {
			return nil, fmt.Errorf("zstd header: %w", err)
		}
		o.compression = CompressionZstd
		o.closers = append(o.closers, func() error { zr.Close(); return nil })
		src = zr
	}
	if ahead && o.compression == CompressionGzip {
		o.spool = newSpool(src)
		o.closers = append(o.closers, o.spool.Close)
		src = o.spool
	}
	o.blocks = newBlockStream(src, digest)
	o.closers = append(o.closers, o.blocks.Close) // closed first: stops reading src before src is closed
	return o, nil
}

// compressedBufferSize is the read buffer under a decompressor: large
// enough that a read system call moves a useful amount of data.
const compressedBufferSize = 256 << 10

func statSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
