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

// contentCodings splits a Content-Encoding value into its codings, lower
// case, in the order they were applied, dropping "identity".
func contentCodings(ce string) []string {
	var out []string
	for _, c := range strings.Split(ce, ",") {
		c = strings.ToLower(strings.TrimSpace(c))
		if c != "" && c != "identity" {
			out = append(out, c)
		}
	}
	return out
}

// decodeContent undoes the content codings of ce (applied in order, so
// undone in reverse) on raw, the captured transfer-decoded body.
// inputComplete says raw is the whole body; when it is not, running out of
// input is reported as truncated_input, not corrupt. raw is not modified and
// not retained unless returned as Stored.
func decodeContent(ce string, raw []byte, inputComplete bool) decodedBody {
	codings := contentCodings(ce)
	if len(codings) == 0 {
		return decodedBody{Stored: raw, Decoded: int64(len(raw)), Known: true}
	}
	var r io.Reader = bytes.NewReader(raw)
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for i := len(codings) - 1; i >= 0; i-- {
		next, closeFn, err := decoderFor(codings[i], r)
		if errors.Is(err, errUnsupportedCoding) {
			return decodedBody{Stored: raw, Err: decodeErrUnsupported}
		}
		if err != nil {
			return decodedBody{Stored: raw, Err: inputError(err, inputComplete)}
		}
		if closeFn != nil {
			closers = append(closers, closeFn)
		}
		r = next
	}
	storeCap := max(len(raw), minStoredDecoded)
	limit := min(decodeRatio*max(len(raw), minStoredDecoded), maxDecodedBytes)
	storeCap = min(storeCap, limit)

	var stored bytes.Buffer
	n, err := io.Copy(&stored, io.LimitReader(r, int64(storeCap)))
	res := decodedBody{Stored: stored.Bytes()}
	if err == nil && n == int64(storeCap) {
		// Count the rest without keeping it, up to the limit.
		var m int64
		m, err = io.Copy(io.Discard, io.LimitReader(r, int64(limit-storeCap)+1))
		n += m
		res.Truncated = m > 0
	}
	switch {
	case n > int64(limit):
		res.Err, res.Truncated = decodeErrLimit, true
	case err != nil:
		res.Err = inputError(err, inputComplete)
	default:
		res.Decoded, res.Known = n, inputComplete
	}
	return res
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
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	case "deflate":
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
