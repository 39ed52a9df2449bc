package logs

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/spanlake/spanlake/etl/atomicfile"
)

// Split says how --out-dir splits the log into files.
type Split struct {
	Vhost, Day bool
}

// ParseSplit parses --split-by: a comma-separated subset of vhost, day.
func ParseSplit(list []string) (Split, error) {
	var s Split
	for _, item := range list {
		for _, w := range strings.Split(item, ",") {
			switch strings.ToLower(strings.TrimSpace(w)) {
			case "":
			case "vhost":
				s.Vhost = true
			case "day":
				s.Day = true
			default:
				return s, fmt.Errorf("cannot split by %q (vhost, day)", w)
			}
		}
	}
	return s, nil
}

// NoHostDir is the directory of requests without a Host header when
// splitting by vhost; '_' never appears in a sanitised host name, so it
// cannot collide with one.
const NoHostDir = "_no_host"

// maxNameLen bounds a sanitised host name (bytes); longer names are cut
// and suffixed with '~' and a hash of the whole name.
const maxNameLen = 200

// SanitiseVhost turns a normalised Host into a safe file name: ASCII
// letters, digits, '-' and '.' are kept, except a leading '.'; every other
// byte ('/', '\\', '%', '_', ':', control bytes, non-ASCII) becomes %HH, so
// the mapping is injective and a name can never be ".", "..", hidden,
// contain a path separator or a control character. "" (no Host) is
// NoHostDir.
func SanitiseVhost(v string) string {
	if v == "" {
		return NoHostDir
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' && i > 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0xf])
	}
	s := b.String()
	if len(s) > maxNameLen {
		s = fmt.Sprintf("%s~%016x", s[:maxNameLen-17], xxhash.Sum64String(v))
	}
	return s
}

// fileName is the path, relative to the output directory, of the file a
// line goes to.
func (s Split) fileName(r *Record, day string, gz bool) string {
	name := "access.log"
	if s.Day {
		name += "-" + day
	}
	if gz {
		name += ".gz"
	}
	if s.Vhost {
		return filepath.Join(SanitiseVhost(r.Vhost()), name)
	}
	return name
}

// sink receives rendered lines.
type sink interface {
	// write takes line (ending in '\n') of r; it must not keep line.
	write(r *Record, line []byte) error
	// finish commits everything written.
	finish() error
	// abort discards what was not committed.
	abort()
}

// streamSink writes to one io.Writer, the format's preamble first.
type streamSink struct {
	bw     *bufio.Writer
	gz     *gzip.Writer // when compressing
	format *Format
	begun  bool
	buf    []byte
}

func (s *streamSink) write(r *Record, line []byte) error {
	if !s.begun {
		s.begun = true
		s.buf = s.format.AppendPreamble(s.buf[:0], r.LogTime())
		if _, err := s.bw.Write(s.buf); err != nil {
			return err
		}
	}
	_, err := s.bw.Write(line)
	return err
}

func (s *streamSink) finish() error {
	if err := s.bw.Flush(); err != nil {
		return err
	}
	if s.gz != nil {
		return s.gz.Close()
	}
	return nil
}
func (s *streamSink) abort() {}

// dirSink writes one file per split key under dir. Each file is written
// with atomicfile (0644, as logs usually are): to a hidden temporary name in
// its final directory and, when complete, fsynced and renamed over the
// final name: readers never see a partial file, and rendering again replaces the files. Lines come in time
// order, so when splitting by day every file of a day is complete when the
// first line of a later day arrives, and is committed then.
type dirSink struct {
	dir    string
	split  Split
	gzip   bool
	format *Format
	loc    *time.Location
	open   map[string]*outFile
	day    string
	buf    []byte
	// Files lists the files committed, relative to dir, in commit order.
	files []string
}

type outFile struct {
	rel string
	af  *atomicfile.File
	bw  *bufio.Writer
	gz  *gzip.Writer
}

func (s *dirSink) write(r *Record, line []byte) error {
	t := r.LogTime().In(s.loc)
	day := t.Format("2006-01-02")
	if s.split.Day && day != s.day {
		if err := s.commitAll(); err != nil {
			return err
		}
		s.day = day
	}
	rel := s.split.fileName(r, day, s.gzip)
	of := s.open[rel]
	if of == nil {
		var err error
		if of, err = s.create(rel); err != nil {
			return err
		}
		s.open[rel] = of
		s.buf = s.format.AppendPreamble(s.buf[:0], r.LogTime())
		if _, err := of.bw.Write(s.buf); err != nil {
			return fmt.Errorf("cannot write %s: %w", filepath.Join(s.dir, rel), err)
		}
	}
	if _, err := of.bw.Write(line); err != nil {
		return fmt.Errorf("cannot write %s: %w", filepath.Join(s.dir, rel), err)
	}
	return nil
}

func (s *dirSink) create(rel string) (*outFile, error) {
	final := filepath.Join(s.dir, rel)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	af, err := atomicfile.Create(dir, filepath.Base(final), 0o644)
	if err != nil {
		return nil, err
	}
	of := &outFile{rel: rel, af: af}
	var w io.Writer = af
	if s.gzip {
		of.gz = gzip.NewWriter(af)
		w = of.gz
	}
	of.bw = bufio.NewWriterSize(w, 64<<10)
	return of, nil
}

func (s *dirSink) commit(of *outFile) error {
	err := of.bw.Flush()
	if err == nil && of.gz != nil {
		err = of.gz.Close()
	}
	if err != nil {
		of.af.Abort()
		return fmt.Errorf("cannot write %s: %w", filepath.Join(s.dir, of.rel), err)
	}
	if err := of.af.Commit(); err != nil {
		return err
	}
	s.files = append(s.files, of.rel)
	return nil
}

func (s *dirSink) commitAll() error {
	// commit in name order so the result does not depend on map order
	names := make([]string, 0, len(s.open))
	for rel := range s.open {
		names = append(names, rel)
	}
	sort.Strings(names)
	for _, rel := range names {
		of := s.open[rel]
		delete(s.open, rel)
		if err := s.commit(of); err != nil {
			return err
		}
	}
	return nil
}

func (s *dirSink) finish() error { return s.commitAll() }

func (s *dirSink) abort() {
	for rel, of := range s.open {
		of.af.Abort()
		delete(s.open, rel)
	}
}

func newGzipWriter(w io.Writer) *gzip.Writer { return gzip.NewWriter(w) }
