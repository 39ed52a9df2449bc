package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
)

// TestLedgerRecordsContentHash: the ledger's content hash is the xxHash64
// of the file as stored — compressed or not, read to its end or stopped by
// damage — and Done recognises the recorded file.
func TestLedgerRecordsContentHash(t *testing.T) {
	plain, err := os.ReadFile("../testdata/captures/nginx-rotated.pcap4")
	if err != nil {
		t.Fatal(err)
	}
	gz := gzipBytes(t, plain)
	firstRecordEnd := pcapHeaderBytes + 16 + int(binary.LittleEndian.Uint32(plain[pcapHeaderBytes+8:]))
	dir := t.TempDir()
	files := map[string][]byte{
		"plain.pcap":     plain,
		"packed.pcap.gz": append(gz, "trailing junk"...), // bytes after the gzip stream count too
		"cut.pcap":       plain[:len(plain)/2+7],         // damaged: the rest is still hashed
		// damaged in its first record, with megabytes after it: the
		// blocks read ahead and hashed on the block stream's goroutine,
		// then the rest read by contentHash, make one hash
		"early.pcap": append(append(append([]byte(nil), plain[:firstRecordEnd]...), 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0xff, 0xff, 0x7f, 0xf0, 0xff, 0xff, 0x7f),
			bytes.Repeat([]byte("spanlake"), 3<<17)...),
	}
	var paths []string
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	sum, err := Run(context.Background(), paths, Options{Workers: 1}, &collectSink{})
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	l, err := OpenLedger(state)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Record(sum.Sources, time.Now()); err != nil {
		t.Fatal(err)
	}
	l, err = OpenLedger(state) // read back from disk
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		e, ok := l.entries[p]
		if !ok {
			t.Fatalf("%s not in the ledger", p)
		}
		want := xxhash.Sum64(files[filepath.Base(p)])
		if e.ContentHash != fmt.Sprintf("%016x", want) {
			t.Errorf("%s: content hash %s, want %016x", filepath.Base(p), e.ContentHash, want)
		}
		st, _ := os.Stat(p)
		if !l.Done(p, st.Size(), st.ModTime().UTC()) {
			t.Errorf("%s: Done = false after Record", p)
		}
	}
	for _, name := range []string{"cut.pcap", "early.pcap"} {
		if e := l.entries[filepath.Join(dir, name)]; e.Result != "damaged" {
			t.Errorf("%s result %q, want damaged", name, e.Result)
		}
	}
}

// TestContentHashStopsReadAhead: a gzip'd capture whose pcap records are
// damaged long before the end of the compressed stream: the content hash
// (taken while the decompressing goroutine could still be reading) is the
// hash of the whole stored file.
func TestContentHashStopsReadAhead(t *testing.T) {
	plain, err := os.ReadFile("../testdata/captures/nginx-rotated.pcap1")
	if err != nil {
		t.Fatal(err)
	}
	damaged := append([]byte(nil), plain[:200]...)
	for len(damaged) < 8<<20 { // an impossible record length, then megabytes of stream
		damaged = append(damaged, 0xff)
	}
	gz := gzipBytes(t, damaged)
	p := filepath.Join(t.TempDir(), "damaged.pcap.gz")
	if err := os.WriteFile(p, gz, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), []string{p}, Options{Workers: 1}, &collectSink{})
	if err != nil {
		t.Fatal(err)
	}
	src := sum.Sources[0]
	if src.Err == "" {
		t.Fatal("damage not reported")
	}
	if want := xxhash.Sum64(gz); src.ContentHash != want {
		t.Errorf("content hash %016x, want %016x", src.ContentHash, want)
	}
}
