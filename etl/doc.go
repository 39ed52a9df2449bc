// Package etl turns what ingest produces — HTTP exchanges, connection
// records, per-file statistics — into the star schema of package schema,
// and writes it as Hive-partitioned Parquet.
//
// It owns: surrogate keys (hashes of natural keys), dimension members,
// row building, partitioning, atomic and idempotent file writes. It must not
// know about packets or capture formats. The access-log renderer lives in
// the sub-package logs.
//
// Files and their names: the rows of one capture file go to files named
// after that capture's identity (part-<source key>-<n>.parquet), in every
// partition and dimension they touch. Re-ingesting a capture therefore
// replaces its files instead of adding rows, and files of that capture that
// the new run did not produce are removed. Every file is written under a
// temporary name in its final directory, fsynced and renamed, so a reader
// never sees a partial file and a crash leaves the old file in place.
//
// Memory and goroutines: the sink (Warehouse) runs on the goroutine ingest
// calls it from. Fact rows and dimension members are encoded and buffered
// there (fact_table.go, dimset.go, dim_tables.go) under one memory budget
// (budget.go) and spilled as sorted runs (spill.go) that the commit merges
// (merge.go), so nothing grows with the length or the variety of the
// capture. The detail tables (http_header, http_body, http_param) are
// buffered under a budget of their own on a second goroutine
// (detail_stage.go), and written by it at commit while the first writes the
// facts and dimensions; http_header is buffered as one block per exchange,
// expanded into rows only as its files are written (header_block.go). Each
// file is decoded and Parquet-encoded on two goroutines (fact_writer.go).
// Files never depend on the budget, the number of ingest workers or which
// goroutine wrote them.
package etl
