package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Container names the capture file format.
type Container string

// Capture containers.
const (
	ContainerPcap   Container = "pcap"
	ContainerPcapNG Container = "pcapng"
)

// ErrNotCapture says a file is neither pcap nor pcapng (after decompression).
var ErrNotCapture = errors.New("ingest: not a pcap or pcapng file")

// CaptureError is damage found inside a capture file. The packets before
// Offset were read; nothing after it was.
type CaptureError struct {
	Path   string
	Offset int64 // byte offset in the (decompressed) capture stream
	Err    error
}

func (e *CaptureError) Error() string {
	return fmt.Sprintf("capture %s: at byte offset %d: %v", e.Path, e.Offset, e.Err)
}

func (e *CaptureError) Unwrap() error { return e.Err }

// packetSource is what the record readers (and pcapgo's) have in common.
type packetSource interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// PacketReader reads the packets of one capture file, whatever its container
// and compression.
type PacketReader struct {
	path      string
	file      *openedFile
	src       packetSource
	pcapng    *pcapngRecords // nil for pcap
	pos       func() int64   // bytes of the (decompressed) stream read
	container Container
	linkType  layers.LinkType
	snaplen   uint32
	lastGood  int64
	err       error // sticky: the damage (or io.EOF) that ended reading
}

// OpenPacketReader opens a capture file. The error names the file.
func OpenPacketReader(path string) (*PacketReader, error) {
	return openPacketReader(path, false)
}

// openPacketReader is OpenPacketReader; with ahead, a gzip'd file starts
// decompressing at once, for a run that opens it before its turn.
func openPacketReader(path string, ahead bool) (*PacketReader, error) {
	o, err := openCapture(path, ahead)
	if err != nil {
		return nil, openError(path, err)
	}
	return newPacketReader(path, o)
}

// NewPacketReader reads a capture from r; name is used in errors and size
// is reported by Size.
func NewPacketReader(name string, r io.Reader, size int64) (*PacketReader, error) {
	o, err := openStream(r, size, false)
	if err != nil {
		return nil, openError(name, err)
	}
	return newPacketReader(name, o)
}

// openError classifies an error from opening a capture: a file that cannot
// be opened is an operational error, a compression header that cannot be
// read (a gzip stream cut inside its header) is damage at offset 0.
func openError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("open capture %s: %w", path, err)
	}
	return &CaptureError{Path: path, Err: err}
}

func newPacketReader(path string, o *openedFile) (*PacketReader, error) {
	pr := &PacketReader{path: path, file: o}
	head, _ := o.blocks.Peek(4)
	switch {
	case len(head) == 0:
		o.Close()
		return nil, &CaptureError{Path: path, Err: fmt.Errorf("empty file: %w", ErrNotCapture)}
	case bytes.Equal(head, []byte{0x0a, 0x0d, 0x0d, 0x0a}):
		recs, err := newPcapNGRecords(o.blocks)
		if err != nil {
			off := recs.offset()
			o.Close()
			return nil, &CaptureError{Path: path, Offset: off, Err: fmt.Errorf("pcapng section header: %w", err)}
		}
		pr.src, pr.pcapng, pr.pos, pr.container, pr.linkType = recs, recs, recs.offset, ContainerPcapNG, recs.firstLink()
	case isPcapMagic(head):
		recs, err := newPcapRecords(o.blocks)
		if err != nil {
			o.Close()
			return nil, &CaptureError{Path: path, Offset: o.blocks.Offset(), Err: fmt.Errorf("pcap header: %w", err)}
		}
		pr.src, pr.pos, pr.container, pr.linkType, pr.snaplen = recs, o.blocks.Offset, ContainerPcap, recs.linkType, recs.snaplen
	default:
		o.Close()
		return nil, &CaptureError{Path: path, Err: ErrNotCapture}
	}
	pr.lastGood = pr.pos()
	return pr, nil
}

func isPcapMagic(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	switch [4]byte(b[:4]) {
	case [4]byte{0xd4, 0xc3, 0xb2, 0xa1}, [4]byte{0xa1, 0xb2, 0xc3, 0xd4}, // microseconds
		[4]byte{0x4d, 0x3c, 0xb2, 0xa1}, [4]byte{0xa1, 0xb2, 0x3c, 0x4d}: // nanoseconds
		return true
	}
	return false
}

// Next returns the next packet. At the end of the file it returns io.EOF;
// damage returns a *CaptureError at the offset after the last good record.
//
// Ownership: data is valid until the next call to Next.
func (r *PacketReader) Next() (data []byte, ci gopacket.CaptureInfo, link layers.LinkType, err error) {
	if r.err != nil {
		return nil, gopacket.CaptureInfo{}, 0, r.err
	}
	data, ci, err = r.src.ZeroCopyReadPacketData()
	switch {
	case err != io.EOF:
	case r.pcapng == nil && r.pos() > r.lastGood:
		// io.ReadFull reports io.EOF when not one byte of a packet's data
		// follows its record header: the file was cut after the header.
		// (A pcapng reader says io.EOF only at a block boundary, which
		// may come after blocks that are not packets.)
		err = io.ErrUnexpectedEOF
	case r.pcapng != nil && r.pcapng.interfaces() == 0:
		// As for libpcap, a section without an interface block is
		// damage: tcpdump and dumpcap write one right after the section
		// header, so the file was cut there.
		err = fmt.Errorf("pcapng: file ends before an interface description block: %w", io.ErrUnexpectedEOF)
	}
	if err != nil {
		if err == io.EOF {
			r.err = io.EOF
			return nil, gopacket.CaptureInfo{}, 0, io.EOF
		}
		if err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("file ends inside a packet record (truncated capture): %w", err)
		}
		r.err = &CaptureError{Path: r.path, Offset: r.lastGood, Err: err}
		return nil, gopacket.CaptureInfo{}, 0, r.err
	}
	r.lastGood = r.pos()
	link = r.linkType
	if len(ci.AncillaryData) > 0 { // pcapng: the link type of the packet's interface
		if l, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			link = l
		}
		ci.AncillaryData = nil // the reader's, reused by its next read
	}
	return data, ci, link, nil
}

// Container reports the capture format.
func (r *PacketReader) Container() Container { return r.container }

// Compression reports the compression the file was wrapped in.
func (r *PacketReader) Compression() Compression { return r.file.compression }

// LinkType reports the link type of the file: for pcapng, of its first
// interface (Next reports each packet's own).
func (r *PacketReader) LinkType() layers.LinkType { return r.linkType }

// Size is the size of the file on disk.
func (r *PacketReader) Size() int64 { return r.file.size }

// Offset is the number of decompressed bytes read so far.
func (r *PacketReader) Offset() int64 { return r.lastGood }

// ContentHash returns the xxHash64 of the file's stored bytes, reading
// whatever the packets did not (call it after the last Next).
func (r *PacketReader) ContentHash() (uint64, error) { return r.file.contentHash() }

// Close closes the file.
func (r *PacketReader) Close() error { return r.file.Close() }

// firstPacketTime returns the capture time of the first packet of path, for
// ordering files; ok is false for a file without packets.
func firstPacketTime(path string) (ts time.Time, ok bool, err error) {
	r, err := OpenPacketReader(path)
	if err != nil {
		return time.Time{}, false, err
	}
	defer r.Close()
	_, ci, _, err := r.Next()
	if err == io.EOF {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return ci.Timestamp, true, nil
}
