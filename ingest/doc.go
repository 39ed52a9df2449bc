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
// Failure classes are kept apart (see ../shared/design/style.md): damage in a
// capture file is an operational error reported with the file name and byte
// offset, after the packets before the damage have been processed; anomalies
// in the captured traffic are counted, never returned as errors.
package ingest
