//go:build duckdb

package main

// DuckDB-backed warehouse tests. DuckDB is a test-only (cgo) dependency:
// `make test` runs these with -tags duckdb; the spanlake binary never links it.

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/spanlake/spanlake/schema"
)

func openDuckDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func queryInt(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func ingestSample(t *testing.T) string {
	t.Helper()
	wh := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", wh, filepath.Join(captureDir, "nginx-basic.pcap"))
	return wh
}

func parquetGlob(wh, table string) string {
	return "'" + filepath.Join(wh, table, "**", "*.parquet") + "'"
}

// TestDuckDBFactRowsEqualServerLog: one fact row per line of nginx's log.
func TestDuckDBFactRowsEqualServerLog(t *testing.T) {
	wh := ingestSample(t)
	db := openDuckDB(t)
	want := len(readLines(t, filepath.Join(captureDir, "nginx-basic.access.log")))
	got := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM read_parquet(%s, hive_partitioning = true)", parquetGlob(wh, "fact_http_exchange")))
	if got != int64(want) {
		t.Errorf("fact_http_exchange has %d rows, nginx logged %d requests", got, want)
	}
}

// TestDuckDBReferentialIntegrity: every dimension key of every fact row
// joins to exactly one dimension row.
func TestDuckDBReferentialIntegrity(t *testing.T) {
	checkReferentialIntegrity(t, openDuckDB(t), ingestSample(t))
}

// checkReferentialIntegrity: every key joins to exactly one distinct
// dimension member (the same member may sit in the files of several
// captures until `spanlake compact`; two different members under one key
// would be a bug).
func checkReferentialIntegrity(t *testing.T, db *sql.DB, wh string) {
	t.Helper()
	fact := fmt.Sprintf("read_parquet(%s, hive_partitioning = true)", parquetGlob(wh, "fact_http_exchange"))
	refs := []struct{ factCol, dim, dimCol string }{
		{"date_key", "dim_date", "date_key"},
		{"time_key", "dim_time", "time_key"},
		{"client_key", "dim_endpoint", "endpoint_key"},
		{"server_key", "dim_endpoint", "endpoint_key"},
		{"vhost_key", "dim_vhost", "vhost_key"},
		{"url_key", "dim_url", "url_key"},
		{"user_agent_key", "dim_user_agent", "user_agent_key"},
		{"referrer_key", "dim_referrer", "referrer_key"},
		{"content_type_key", "dim_content_type", "content_type_key"},
		{"source_file_key", "dim_source_file", "source_file_key"},
	}
	for _, r := range refs {
		q := fmt.Sprintf(`SELECT count(*) FROM %s f LEFT JOIN (SELECT %s AS k, count(*) AS n FROM (SELECT DISTINCT * FROM read_parquet(%s)) GROUP BY 1) d ON d.k = f.%s WHERE d.n IS DISTINCT FROM 1`,
			fact, r.dimCol, parquetGlob(wh, r.dim), r.factCol)
		if bad := queryInt(t, db, q); bad != 0 {
			t.Errorf("%s: %d fact rows do not join to exactly one %s row", r.factCol, bad, r.dim)
		}
	}
	conns := fmt.Sprintf("read_parquet(%s, hive_partitioning = true)", parquetGlob(wh, "fact_tcp_connection"))
	for _, r := range []struct{ factCol, dim, dimCol string }{
		{"client_key", "dim_endpoint", "endpoint_key"}, {"server_key", "dim_endpoint", "endpoint_key"},
		{"date_key", "dim_date", "date_key"}, {"source_file_key", "dim_source_file", "source_file_key"},
	} {
		q := fmt.Sprintf(`SELECT count(*) FROM %s f LEFT JOIN (SELECT %s AS k, count(*) AS n FROM (SELECT DISTINCT * FROM read_parquet(%s)) GROUP BY 1) d ON d.k = f.%s WHERE d.n IS DISTINCT FROM 1`,
			conns, r.dimCol, parquetGlob(wh, r.dim), r.factCol)
		if bad := queryInt(t, db, q); bad != 0 {
			t.Errorf("fact_tcp_connection.%s: %d rows do not join to exactly one %s row", r.factCol, bad, r.dim)
		}
	}
	// Every exchange belongs to a connection.
	if bad := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM %s e ANTI JOIN %s c USING (connection_id)", fact, conns)); bad != 0 {
		t.Errorf("%d exchanges without their connection", bad)
	}
	// The joins are not vacuous: there are fact rows, and real members.
	if n := queryInt(t, db, fmt.Sprintf("SELECT count(DISTINCT user_agent_key) FROM %s WHERE user_agent_key <> 0", fact)); n < 2 {
		t.Errorf("only %d distinct user agents", n)
	}
}

// TestDuckDBTypes: timestamps are TIMESTAMP WITH TIME ZONE, keys BIGINT,
// partition columns inferred from directory names.
func TestDuckDBTypes(t *testing.T) {
	wh := ingestSample(t)
	db := openDuckDB(t)
	rows, err := db.Query(fmt.Sprintf("DESCRIBE SELECT * FROM read_parquet(%s, hive_partitioning = true)", parquetGlob(wh, "fact_http_exchange")))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	types := map[string]string{}
	for rows.Next() {
		var name, typ string
		var null, key, def, extra sql.NullString
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			t.Fatal(err)
		}
		types[name] = typ
	}
	want := map[string]string{
		"request_ts": "TIMESTAMP WITH TIME ZONE", "response_end_ts": "TIMESTAMP WITH TIME ZONE",
		"exchange_id": "BIGINT", "connection_id": "BIGINT", "client_key": "BIGINT", "user_agent_key": "BIGINT",
		"date_key": "INTEGER", "status_code": "INTEGER", "method": "VARCHAR", "anomalies": "VARCHAR[]",
		"request_line_raw": "BLOB", "date": "DATE", "hour": "BIGINT",
	}
	for col, typ := range want {
		if types[col] != typ {
			t.Errorf("column %s has type %q, want %q", col, types[col], typ)
		}
	}
}

// TestDuckDBDDL: the statements of `schema ddl --dialect duckdb` run, and
// every view is queryable.
func TestDuckDBDDL(t *testing.T) {
	wh := ingestSample(t)
	db := openDuckDB(t)
	ddl := spanlake(t, exitOK, "schema", "ddl", "--dialect", "duckdb", "-w", wh)
	for _, stmt := range strings.Split(ddl, ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, tb := range schema.Tables() {
		if n := queryInt(t, db, "SELECT count(*) FROM "+tb.Name); n == 0 {
			t.Errorf("view %s is empty", tb.Name)
		}
	}
	// The README's one-liner shape: top URLs by requests.
	if n := queryInt(t, db, `SELECT count(*) FROM (SELECT u.path, count(*) FROM fact_http_exchange f JOIN dim_url u USING (url_key) GROUP BY 1)`); n == 0 {
		t.Error("no URLs")
	}
}

// TestDuckDBRotatedRunsEqualOneRun: the rotated capture ingested one file
// per incremental run (connections carried over between runs) and in one
// run give the same rows in every fact and detail table, and the
// incremental warehouse keeps referential integrity.
func TestDuckDBRotatedRunsEqualOneRun(t *testing.T) {
	src, err := filepath.Glob(filepath.Join(captureDir, "nginx-rotated.pcap*"))
	if err != nil || len(src) < 3 {
		t.Fatalf("rotated capture: %v %v", src, err)
	}
	state := t.TempDir() // shared: the keyed hashes must use the same key
	one := t.TempDir()
	spanlake(t, exitOK, "ingest", "-w", one, "--state", state, filepath.Join(captureDir, "nginx-rotated.pcap*"))
	spool, inc := t.TempDir(), t.TempDir()
	incState := t.TempDir()
	copyFile(t, filepath.Join(state, "secret.key"), filepath.Join(incState, "secret.key"))
	for i, p := range src {
		copySettled(t, p, spool, time.Now().Add(-time.Hour+time.Duration(i)*time.Second))
		spanlake(t, exitOK, "ingest", "--incremental", "--include-newest", "-w", inc, "--state", incState, spool)
	}
	spanlake(t, exitOK, "ingest", "--incremental", "--finish", "-w", inc, "--state", incState, spool)
	db := openDuckDB(t)
	for _, table := range []string{"fact_http_exchange", "fact_tcp_connection", "http_header", "http_param"} {
		a := fmt.Sprintf("read_parquet(%s, hive_partitioning = true)", parquetGlob(one, table))
		b := fmt.Sprintf("read_parquet(%s, hive_partitioning = true)", parquetGlob(inc, table))
		if n := queryInt(t, db, "SELECT count(*) FROM "+a); n == 0 {
			t.Fatalf("%s: no rows", table)
		}
		for _, q := range []string{
			fmt.Sprintf("SELECT count(*) FROM (SELECT * FROM %s EXCEPT ALL SELECT * FROM %s)", a, b),
			fmt.Sprintf("SELECT count(*) FROM (SELECT * FROM %s EXCEPT ALL SELECT * FROM %s)", b, a),
		} {
			if n := queryInt(t, db, q); n != 0 {
				t.Errorf("%s: %d rows differ: %s", table, n, q)
			}
		}
	}
	checkReferentialIntegrity(t, db, inc)
}

// TestDuckDBMixedSchemaVersions: a warehouse written by two versions of
// spanlake — here a fact file without the version-3 columns beside this
// version's — reads through the views of `schema ddl` (union_by_name):
// every row of both files, the missing columns null. This is what a cron
// job sees after an upgrade.
func TestDuckDBMixedSchemaVersions(t *testing.T) {
	wh := ingestSample(t)
	db := openDuckDB(t)
	files, err := filepath.Glob(filepath.Join(wh, "fact_http_exchange", "*", "*", "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fact files: %v", err)
	}
	n := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM read_parquet('%s')", files[0]))
	before := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM read_parquet(%s)", parquetGlob(wh, "fact_http_exchange")))
	old := filepath.Join(filepath.Dir(files[0]), "part-written-by-version-2.parquet")
	if _, err := db.Exec(fmt.Sprintf(`COPY (SELECT * EXCLUDE (request_tunnel_bytes, response_tunnel_bytes) FROM read_parquet('%s'))
		TO '%s' (FORMAT parquet)`, files[0], old)); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(spanlake(t, exitOK, "schema", "ddl", "--dialect", "duckdb", "-w", wh), ";\n") {
		if strings.TrimSpace(stmt) != "" {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
	}
	total := queryInt(t, db, "SELECT count(*) FROM fact_http_exchange")
	nulls := queryInt(t, db, "SELECT count(*) FROM fact_http_exchange WHERE request_tunnel_bytes IS NULL AND NOT upgraded")
	if total != before+n || nulls != total {
		t.Errorf("view: %d rows (%d with null tunnel bytes), want %d + %d from the older file, all null (nothing upgraded)", total, nulls, before, n)
	}
}
