// Package aggregate rolls fact_http_exchange (or an earlier rollup) up into
// time-bucketed measures grouped by dimensions: the engine behind
// `spanlake aggregate`.
//
// It owns the agg_http_<grain> tables (their row is Row), the grouping
// dimensions (Dim), the --where filters (Filter), the User-Agent classifier
// (ClassifyUserAgent) and the renderers (table, CSV, JSON Lines, HTML
// report). It reads Parquet as Arrow record batches (parquet-go decodes the
// column chunks into Arrow builders: parquet_columns.go), projecting only the
// columns a query needs and pruning date=/hour= partitions by the time
// range; memory grows with the number of groups, never with the number of
// rows.
//
// Every measure is mergeable, so a rollup can be rolled up again: counts and
// sums add, maxima take the maximum, latency is kept as a DDSketch and
// distinct clients as a HyperLogLog, both serialised into binary columns
// beside the quantiles and estimates computed from them. Aggregating
// agg_http_minute to hours gives the same counts and sums as aggregating the
// facts to hours, and quantiles within the sketch's relative accuracy.
//
// The package does not know how facts are produced (ingest, reassembly,
// HTTP parsing) and writes nothing but agg_http_* tables and reports.
package aggregate
