package etl

import "encoding/binary"

// appendRecord implements handCoded: the fields in declaration order, as
// rowCodec lays them out (zig-zag varints, then each string slice as a nil
// marker or count+1 and length-prefixed strings).
func (hb *headerBlock) appendRecord(dst []byte) []byte {
	dst = binary.AppendVarint(dst, hb.ExchangeID)
	dst = binary.AppendVarint(dst, hb.ConnectionID)
	dst = binary.AppendVarint(dst, int64(hb.DateKey))
	dst = binary.AppendVarint(dst, hb.RequestTS)
	dst = binary.AppendVarint(dst, int64(hb.Request))
	dst = binary.AppendVarint(dst, int64(hb.ReqTrailers))
	dst = binary.AppendVarint(dst, int64(hb.RespTrailers))
	dst = appendStrings(dst, hb.Names)
	return appendStrings(dst, hb.Values)
}

// appendStrings appends a string slice as rowCodec encodes kindStrings.
func appendStrings(dst []byte, ss []string) []byte {
	if ss == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(ss))+1)
	for _, s := range ss {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

// decodeRecord implements handCoded. Names and Values reuse the block's
// slices: the rows expanded from a block copy what they keep.
func (hb *headerBlock) decodeRecord(rec []byte) error {
	r := newRecordReader(rec, nil)
	hb.ExchangeID = r.varint()
	hb.ConnectionID = r.varint()
	hb.DateKey = int32(r.varint())
	hb.RequestTS = r.varint()
	hb.Request = int32(r.varint())
	hb.ReqTrailers = int32(r.varint())
	hb.RespTrailers = int32(r.varint())
	hb.Names = r.strings(hb.Names)
	hb.Values = r.strings(hb.Values)
	return r.end()
}

// strings reads a string slice encoded by appendStrings into reuse's
// array, or returns nil for a nil slice.
func (r *recordReader) strings(reuse []string) []string {
	n := r.uvarint()
	if n == 0 || r.err != nil {
		return nil
	}
	if n-1 > uint64(len(r.b)) { // each string takes at least a byte
		r.fail()
		return nil
	}
	out := reuse[:0]
	if out == nil {
		out = make([]string, 0, n-1)
	}
	for range n - 1 {
		out = append(out, r.str(r.uvarint()))
	}
	if r.err != nil {
		return nil
	}
	return out
}
