// Package schema is the contract of the warehouse: every table spanlake
// writes, defined once as a Go struct whose parquet tags give the Parquet
// column and whose doc tags are the data dictionary (`spanlake schema
// describe` prints them; `spanlake schema ddl` turns them into statements).
//
// Rules that every table follows, and why:
//
//   - Surrogate keys are INT64 hashes (xxhash64) of the dimension's natural
//     key, prefixed by the dimension name. Any process computes the same key
//     without coordination, so per-file dimension rows can be written in
//     parallel and deduplicated with DISTINCT. Key 0 is reserved in every
//     dimension for "not present" (no Referer header, no response, ...): a
//     fact row always joins to exactly one dimension row, and the absent
//     member is distinguishable from a present-but-empty value.
//   - Timestamps are Parquet TIMESTAMP(isAdjustedToUTC=true, MICROS); engines
//     read them as TIMESTAMP WITH TIME ZONE.
//   - Strings are valid UTF-8, as the Parquet STRING type requires (DuckDB
//     rejects anything else). Where a wire value is not valid UTF-8 the
//     string column holds it with invalid bytes replaced by U+FFFD and a
//     companion *_raw BYTE_ARRAY column holds the exact bytes; *_raw is null
//     otherwise. Nothing seen on the wire is dropped.
//   - Optional columns are null when the value was not seen (no response,
//     no header), never a made-up zero.
//   - Fact tables are Hive-partitioned as date=YYYY-MM-DD/hour=H (UTC, hour
//     unpadded so engines infer an integer); partition columns live only in
//     directory names.
//   - Columns are only ever added, never renamed or removed; Version counts
//     those additions and is recorded in the warehouse.
package schema

// Version is the schema version written into the warehouse.
//
//	1: the first warehouse.
//	2: dim_source_file gains tunnelled_packets, encap_errors,
//	   ip_datagrams_reassembled, ip_fragments_dropped and content_xxh64.
//	3: fact_http_exchange gains request_tunnel_bytes and
//	   response_tunnel_bytes.
const Version = 3
