//go:build duckdb

package schema

// DuckDB runs the duckdb dialect over a warehouse holding one zero row per
// table, written from the row structs: every column of every table is
// exposed with the type its Parquet schema says. `make test` runs this with
// -tags duckdb (DuckDB is a test-only cgo dependency).

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/parquet-go/parquet-go"
)

func duckDBType(t colType) string {
	switch t.kind {
	case kBool:
		return "BOOLEAN"
	case kInt:
		s := map[int]string{8: "TINYINT", 16: "SMALLINT", 32: "INTEGER", 64: "BIGINT"}[t.bits]
		if !t.signed {
			s = "U" + s
		}
		return s
	case kFloat:
		return "FLOAT"
	case kDouble:
		return "DOUBLE"
	case kString:
		return "VARCHAR"
	case kBinary:
		return "BLOB"
	case kTimestamp:
		if t.utc {
			return "TIMESTAMP WITH TIME ZONE"
		}
		return "TIMESTAMP"
	case kDate:
		return "DATE"
	case kList:
		return duckDBType(*t.elem) + "[]"
	}
	return "?"
}

func TestDuckDBDDLColumns(t *testing.T) {
	wh := t.TempDir()
	for _, tb := range Tables() {
		dir := filepath.Join(wh, tb.Dir())
		if tb.Partitioned {
			dir = filepath.Join(dir, "date=2026-01-02", "hour=3")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w := parquet.NewWriter(&buf, tb.Schema())
		if err := w.Write(reflect.New(tb.row).Interface()); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "part-0.parquet"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	if err := WriteDDL(&b, "duckdb", wh); err != nil {
		t.Fatal(err)
	}
	for _, st := range strings.Split(b.String(), ";\n") {
		if strings.TrimSpace(st) != "" {
			if _, err := db.Exec(st); err != nil {
				t.Fatalf("%s: %v", st, err)
			}
		}
	}
	tables, err := ddlTables()
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		var want []string
		for _, c := range tb.cols {
			want = append(want, c.name+" "+duckDBType(c.typ))
		}
		if tb.Partitioned {
			want = append(want, "date DATE", "hour BIGINT")
		}
		rows, err := db.Query("DESCRIBE " + tb.Name)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var name, typ string
			var null, key, def, extra sql.NullString
			if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
				t.Fatal(err)
			}
			got = append(got, name+" "+typ)
		}
		rows.Close()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n got  %v\n want %v", tb.Name, got, want)
		}
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + tb.Name).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: %d rows, %v", tb.Name, n, err)
		}
	}
}
