package etl

import (
	"bytes"
	"compress/zlib"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zl(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func rawFlate(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func br(b []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zst(b []byte) []byte {
	enc, _ := zstd.NewWriter(nil)
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

// withGzipFlags sets flag bits in a gzip member's header.
func withGzipFlags(member []byte, flags byte) []byte {
	out := bytes.Clone(member)
	out[3] |= flags
	return out
}

// gzipWithHeaderCRC adds FHCRC and a (wrong) header CRC to a gzip member.
func gzipWithHeaderCRC(member []byte) []byte {
	out := withGzipFlags(member[:10], 0x02)
	out = append(out, 0xde, 0xad)
	return append(out, member[10:]...)
}

// badGzipTrailer flips a bit of a gzip member's CRC-32.
func badGzipTrailer(member []byte) []byte {
	out := bytes.Clone(member)
	out[len(out)-8] ^= 1
	return out
}

func TestDecodeContent(t *testing.T) {
	text := []byte(strings.Repeat("hello, world; ", 100))
	bomb := make([]byte, 100<<20) // 100 MiB of zeros
	big := bytes.Repeat([]byte("0123456789abcdef"), 10_000)
	tests := []struct {
		name, ce    string
		raw         []byte
		complete    bool
		wantBody    []byte // nil: not checked
		wantDecoded int64  // -1: unknown (Known false)
		wantErr     string
		wantTrunc   bool
	}{
		{"identity", "", text, true, text, int64(len(text)), "", false},
		{"identity token", "identity", text, true, text, int64(len(text)), "", false},
		{"gzip", "gzip", gz(text), true, text, int64(len(text)), "", false},
		{"x-gzip, case", "X-GZIP", gz(text), true, text, int64(len(text)), "", false},
		{"deflate zlib", "deflate", zl(text), true, text, int64(len(text)), "", false},
		{"deflate raw", "deflate", rawFlate(text), true, text, int64(len(text)), "", false},
		{"br", "br", br(text), true, text, int64(len(text)), "", false},
		{"zstd", "zstd", zst(text), true, text, int64(len(text)), "", false},
		{"stacked gzip, br", "gzip, br", br(gz(text)), true, text, int64(len(text)), "", false},
		{"unsupported", "compress", []byte("abc"), true, []byte("abc"), -1, "unsupported_encoding", false},
		{"unsupported in a stack", "gzip, foo", []byte("abc"), true, []byte("abc"), -1, "unsupported_encoding", false},
		{"unsupported under a big layer, stored cap", "foo, gzip", gz(big), true, big[:minStoredDecoded], -1, "unsupported_encoding", true},
		// Browsers' leniencies (HTTP Evader): junk around a coding's name,
		// x-deflate, codings over several lines, odd gzip header flags.
		{"x-deflate", "x-deflate", rawFlate(text), true, text, int64(len(text)), "", false},
		{"junk around codings", "\xa0gzip;, : deflate\x00", zl(gz(text)), true, text, int64(len(text)), "", false},
		{"gzip reserved flag", "gzip", withGzipFlags(gz(text), 0x20), true, text, int64(len(text)), "", false},
		{"gzip header crc not checked", "gzip", gzipWithHeaderCRC(gz(text)), true, text, int64(len(text)), "", false},
		// Decoding goes as far as it can: a layer that is not what it says
		// leaves its input, one that fails at its end keeps its output.
		{"gzip named twice, applied once", "gzip, gzip", gz(text), true, text, -1, "corrupt", false},
		{"deflate named after gzip, only gzip applied", "gzip, deflate", gz(text), true, text, -1, "corrupt", false},
		{"gzip named after deflate, only deflate applied", "deflate, gzip", zl(text), true, text, -1, "corrupt", false},
		{"skipped layer, stored cap", "gzip, gzip", gz(big), true, big[:minStoredDecoded], -1, "corrupt", true},
		{"gzip with a bad trailer checksum", "gzip", badGzipTrailer(gz(text)), true, text, -1, "corrupt", false},
		// A coding that fails keeps the body as sent.
		{"deflate that is not", "deflate,", text, true, text, -1, "corrupt", false},
		{"gzip garbage", "gzip", []byte("not gzip at all"), true, []byte("not gzip at all"), -1, "corrupt", false},
		{"br garbage", "br", []byte("\xff\xff\xff\xff not brotli"), true, nil, -1, "corrupt", false},
		{"zstd garbage", "zstd", []byte("garbage, no zstd magic"), true, nil, -1, "corrupt", false},
		// A frame header asking for a window beyond the limit is refused
		// before anything is allocated.
		{"zstd huge window", "zstd", []byte("\x28\xb5\x2f\xfd garbage"), true, nil, -1, "decompression_limit", false},
		{"gzip cut, capture limit", "gzip", gz(text)[:40], false, nil, -1, "truncated_input", false},
		{"gzip cut, but said complete", "gzip", gz(text)[:40], true, nil, -1, "corrupt", false},
		{"gzip bomb", "gzip", gz(bomb), true, nil, -1, "decompression_limit", true},
		{"br bomb", "br", br(bomb), true, nil, -1, "decompression_limit", true},
		{"zstd bomb", "zstd", zst(bomb), true, nil, -1, "decompression_limit", true},
		// 160 KB of text compresses far below 64 KiB: stored up to
		// 64 KiB, counted to the end.
		{"gzip beyond store cap", "gzip", gz(big), true, big[:minStoredDecoded], int64(len(big)), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeContent(tt.ce, tt.raw, tt.complete)
			if got.Err != tt.wantErr {
				t.Errorf("err %q, want %q", got.Err, tt.wantErr)
			}
			if tt.wantBody != nil && !bytes.Equal(got.Stored, tt.wantBody) {
				t.Errorf("stored %d bytes %.40q, want %d bytes %.40q", len(got.Stored), got.Stored, len(tt.wantBody), tt.wantBody)
			}
			dec := int64(-1)
			if got.Known {
				dec = got.Decoded
			}
			if dec != tt.wantDecoded {
				t.Errorf("decoded %d, want %d", dec, tt.wantDecoded)
			}
			if got.Truncated != tt.wantTrunc {
				t.Errorf("truncated %v, want %v", got.Truncated, tt.wantTrunc)
			}
			if len(got.Stored) > maxDecodedBytes {
				t.Errorf("stored %d bytes", len(got.Stored))
			}
		})
	}
}

func TestIsZlibHeader(t *testing.T) {
	for _, lvl := range []int{1, 6, 9} {
		var buf bytes.Buffer
		w, _ := zlib.NewWriterLevel(&buf, lvl)
		w.Write([]byte("x"))
		w.Close()
		if b := buf.Bytes(); !isZlibHeader(b[0], b[1]) {
			t.Errorf("level %d: zlib header % x not recognised", lvl, b[:2])
		}
	}
	if b := rawFlate([]byte("hello")); isZlibHeader(b[0], b[1]) {
		t.Errorf("raw deflate % x taken for zlib", b[:2])
	}
}

func FuzzDecodeContent(f *testing.F) {
	f.Add("gzip", gz([]byte("hello")), true)
	f.Add("deflate", zl([]byte("hello")), false)
	f.Add("br", br([]byte("hello")), true)
	f.Add("zstd", zst([]byte("hello")), true)
	f.Add("gzip, gzip, deflate", gz([]byte("hello")), true)
	f.Add("x-gzip", withGzipFlags(gz([]byte("hello")), 0xe6), true)
	f.Fuzz(func(t *testing.T, ce string, raw []byte, complete bool) {
		got := decodeContent(ce, raw, complete)
		if len(got.Stored) > max(len(raw), minStoredDecoded) {
			t.Fatalf("stored %d bytes from %d", len(got.Stored), len(raw))
		}
	})
}
