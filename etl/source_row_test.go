package etl

import (
	"testing"

	"github.com/spanlake/spanlake/ingest"
)

// TestSourceFileRowDecodeCounters: the decode counters and the content hash
// of a capture reach their dim_source_file columns (schema version 2).
func TestSourceFileRowDecodeCounters(t *testing.T) {
	src := &ingest.SourceFile{Key: 7, Name: "t.pcap", ContentHash: 0xabc,
		Decode: ingest.DecodeStats{Packets: 100, TCP: 90, Fragments: 3, Tunnelled: 40, EncapErrors: 2, Reassembled: 1, FragmentsDropped: 2}}
	r := sourceFileRow(src)
	if r.TunnelledPackets != 40 || r.EncapErrors != 2 || r.DatagramsReassembled != 1 || r.FragmentsDropped != 2 || r.Fragments != 3 {
		t.Errorf("decode counters: %+v", r)
	}
	if r.ContentXXH64 != "0000000000000abc" {
		t.Errorf("content_xxh64 %q", r.ContentXXH64)
	}
	if r := sourceFileRow(&ingest.SourceFile{}); r.ContentXXH64 != "" {
		t.Errorf("unread file: content_xxh64 %q, want null", r.ContentXXH64)
	}
}
