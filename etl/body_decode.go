package etl

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// Limits of content decoding. Decoded output is attacker-controlled (a few
// KB of gzip expand to gigabytes), so decoding never produces more than
// decodeRatio times the captured input — measured against at least the
// default request body limit, so that ordinary text compressing 20:1 is
// not cut — and never more than maxDecodedBytes. Only the first
// max(len(input), minStoredDecoded) decoded bytes are stored; the rest is
// counted.
const (
	decodeRatio      = 8
	minStoredDecoded = 64 << 10
	maxDecodedBytes  = 16 << 20
)

// Codes of http_body.decode_error.
const (
	decodeErrUnsupported = "unsupported_encoding"
	decodeErrCorrupt     = "corrupt"
	decodeErrLimit       = "decompression_limit"
	decodeErrTruncated   = "truncated_input"
)

// decodedBody is the result of content decoding one captured body.
type decodedBody struct {
	Stored    []byte // what http_body.body holds (decoded, capped; raw when not decoded)
	Decoded   int64  // decoded length; valid when Known
	Known     bool   // Decoded is the length of the whole decoded input
	Truncated bool   // Stored holds less than the decoded input produced
	Err       string // one of the decodeErr* codes, "" when fine
}

// contentCodings splits a Content-Encoding value (every Content-Encoding
// line of the message, joined with ", ") into its codings, lower case, in
// the order they were applied, dropping "identity". Like browsers (HTTP
// Evader), it ignores what surrounds a coding's name: parameters after a
// ';' and bytes that cannot be part of a token ("gzip;", ": gzip",
// "\xa0deflate", "deflate\x00").
func contentCodings(ce string) []string {
	var out []string
	for _, c := range strings.Split(ce, ",") {
		c, _, _ = strings.Cut(c, ";")
		c = strings.ToLower(strings.TrimFunc(c, func(r rune) bool { return !isTokenRune(r) }))
		if c != "" && c != "identity" {
			out = append(out, c)
		}
	}
	return out
}

// isTokenRune reports whether r may appear in an RFC 9110 token.
func isTokenRune(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return r < 0x80 && strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}

// decodeContent undoes the content codings of ce (applied in order, so
// undone in reverse, one layer at a time) on raw, the captured
// transfer-decoded body. inputComplete says raw is the whole body; when it
// is not, running out of input is reported as truncated_input, not
// corrupt. raw is not modified and not retained unless returned as Stored.
//
// Decoding goes as far as it can, as browsers and libhtp do (HTTP Evader):
// a layer that fails before producing anything (not that coding at all,
// like a second "gzip" line over a body compressed once) is skipped, its
// input going on to the next; a layer that fails after producing output (a
// bad gzip trailer checksum) keeps that output and ends decoding. Either
// way decode_error says so and the decoded length is not claimed known.
func decodeContent(ce string, raw []byte, inputComplete bool) decodedBody {
	codings := contentCodings(ce)
	if len(codings) == 0 {
		return decodedBody{Stored: raw, Decoded: int64(len(raw)), Known: true}
	}
	limit := min(decodeRatio*max(len(raw), minStoredDecoded), maxDecodedBytes)
	storeCap := min(max(len(raw), minStoredDecoded), limit)
	// stop ends decoding with what an inner layer produced, capped like
	// the final output.
	stop := func(b []byte, code string, truncated bool) decodedBody {
		if len(b) > storeCap {
			b, truncated = b[:storeCap], true
		}
		return decodedBody{Stored: b, Err: code, Truncated: truncated}
	}
	cur, skipped, truncated := raw, "", false
	for i := len(codings) - 1; i >= 0; i-- {
		keep := limit // an inner layer needs all of its input
		if i == 0 {
			keep = storeCap
		}
		out, n, err := decodeLayer(codings[i], cur, keep, limit)
		switch {
		case errors.Is(err, errUnsupportedCoding):
			return stop(cur, decodeErrUnsupported, truncated)
		case n > int64(limit):
			return stop(out, decodeErrLimit, true)
		case err != nil && n == 0:
			if skipped == "" {
				skipped = inputError(err, inputComplete)
			}
			continue
		case err != nil:
			return stop(out, inputError(err, inputComplete), truncated)
		case i == 0 && skipped == "":
			return decodedBody{Stored: out, Decoded: n, Known: inputComplete, Truncated: n > int64(len(out))}
		}
		cur, truncated = out, n > int64(len(out))
	}
	// Some layer was skipped: what the others produced.
	return stop(cur, skipped, truncated)
}

// decodeLayer undoes one content coding on in: it returns the first keep
// decoded bytes, how many it decoded in all (counting up to limit+1), and
// the error that stopped it, if any.
func decodeLayer(coding string, in []byte, keep, limit int) ([]byte, int64, error) {
	r, closeFn, err := decoderFor(coding, bytes.NewReader(in))
	if err != nil {
		return nil, 0, err
	}
	if closeFn != nil {
		defer closeFn()
	}
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(r, int64(keep)))
	if err == nil && n == int64(keep) {
		// Count the rest without keeping it, up to the limit.
		var m int64
		m, err = io.Copy(io.Discard, io.LimitReader(r, int64(limit-keep)+1))
		n += m
	}
	return out.Bytes(), n, err
}

var errUnsupportedCoding = errors.New("unsupported content coding")

// inputError classifies a decoder error. Decoders report a cut stream in
// their own words (io.ErrUnexpectedEOF, brotli's "truncated input", ...);
// a body we did not capture whole cannot be called corrupt. A zstd frame
// that asks for more memory than we grant is a bomb like any other.
func inputError(err error, inputComplete bool) string {
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded), errors.Is(err, zstd.ErrWindowSizeExceeded):
		return decodeErrLimit
	case !inputComplete:
		return decodeErrTruncated
	}
	return decodeErrCorrupt
}

// decoderFor opens the decoder of one content coding over r. The returned
// close function (may be nil) releases decoder resources.
func decoderFor(coding string, r io.Reader) (io.Reader, func(), error) {
	switch coding {
	case "gzip", "x-gzip":
		br := bufio.NewReader(r)
		if h, err := br.Peek(4); err == nil && h[3]&gzipOddFlags != 0 {
			return lenientGzip(br)
		}
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	case "deflate", "x-deflate":
		// RFC 9110 says zlib (RFC 1950), but some servers send raw
		// deflate (RFC 1951): sniff the zlib header.
		br := bufio.NewReader(r)
		if h, err := br.Peek(2); err == nil && isZlibHeader(h[0], h[1]) {
			zr, err := zlib.NewReader(br)
			if err != nil {
				return nil, nil, err
			}
			return zr, func() { zr.Close() }, nil
		}
		fr := flate.NewReader(br)
		return fr, func() { fr.Close() }, nil
	case "br":
		return brotli.NewReader(r), nil, nil
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(maxDecodedBytes*2), zstd.WithDecoderMaxWindow(maxDecodedBytes))
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	}
	return nil, nil, errUnsupportedCoding
}

// isZlibHeader reports whether two bytes are a zlib stream header: method
// 8 (deflate), window <= 32 KiB, and the check bits.
func isZlibHeader(cmf, flg byte) bool {
	return cmf&0x0f == 8 && cmf>>4 <= 7 && (uint16(cmf)<<8|uint16(flg))%31 == 0
}

// gzipOddFlags are the gzip header flags Go's reader refuses or checks
// strictly where browsers do not (HTTP Evader): the reserved bits, and
// FHCRC (a header CRC, which browsers never verify).
const gzipOddFlags = 0xe0 | 0x02

// lenientGzip reads a gzip member whose header has gzipOddFlags, from the
// start of br: the header is skipped by hand and the deflate data read
// raw; the trailer is not checked.
func lenientGzip(br *bufio.Reader) (io.Reader, func(), error) {
	h, err := br.Peek(10)
	if err != nil || h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 {
		return nil, nil, gzip.ErrHeader
	}
	flags := h[3]
	skip := func(n int) error { _, err := br.Discard(n); return err }
	if err := skip(10); err != nil {
		return nil, nil, err
	}
	if flags&0x04 != 0 { // FEXTRA
		x, err := br.Peek(2)
		if err != nil {
			return nil, nil, err
		}
		if err := skip(2 + int(x[0]) | int(x[1])<<8); err != nil {
			return nil, nil, err
		}
	}
	for _, f := range []byte{0x08, 0x10} { // FNAME, FCOMMENT: zero-terminated
		if flags&f != 0 {
			if _, err := br.ReadSlice(0); err != nil {
				return nil, nil, err
			}
		}
	}
	if flags&0x02 != 0 { // FHCRC
		if err := skip(2); err != nil {
			return nil, nil, err
		}
	}
	fr := flate.NewReader(br)
	return fr, func() { fr.Close() }, nil
}
