// Package ingest reads capture files and drives the pipeline up to HTTP
// exchanges.
//
// It owns: finding and ordering capture files (files, directories, globs;
// rotated sets), opening them whatever their container (pcap, pcapng) and
// compression (gzip, zstd), decoding link → IP → TCP with gopacket's
// DecodingLayerParser, per-file statistics, and the Run loop that feeds
// decoded segments to the reassembler and reassembled streams to the HTTP/1.x
// parser (sub-package http1). What comes out — exchanges, connection records,
// per-file statistics — goes to a Sink; ingest knows nothing of Parquet.
//
// Reading: every capture is read — from the file, through its content hash
// and its decompressor if any — on a goroutine of its own, into blocks a
// few blocks ahead of the reader (block_stream.go); pcap and pcapng packets
// are handed out as slices of those blocks (pcap_records.go,
// pcapng_records.go), and pcapgo's readers take over a pcapng file from
// the first block that is not plain. The next file of a run is opened while the current one
// is read, and a gzip'd one starts decompressing then (spool.go), so that
// two files of a rotated .gz set decompress at once.
//
// Goroutines: one reads and decodes; with Workers > 1, connections are
// sharded by a hash of their endpoints over that many goroutines that
// reassemble and parse (shard.go), and one collector calls the Sink in a
// fixed order, so the Sink's output does not depend on Workers. A Sink that
// is also a Preparer has the part of its per-exchange work that depends on
// the exchange alone done on the shards, in parallel.
//
// Failure classes are kept apart (see ../shared/design/style.md): damage in a
// capture file is an operational error reported with the file name and byte
// offset, after the packets before the damage have been processed; anomalies
// in the captured traffic are counted, never returned as errors.
package ingest
