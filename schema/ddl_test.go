package schema

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

var update = flag.Bool("update", false, "rewrite the golden files (testdata/ddl_*.sql, DATA_DICTIONARY.md)")

// goldenRoots is the warehouse each dialect's golden file is generated for.
var goldenRoots = map[string]string{
	"duckdb":     "/srv/spanlake/warehouse",
	"trino":      "s3://example-bucket/warehouse",
	"spark":      "s3a://example-bucket/warehouse",
	"bigquery":   "gs://example-bucket/warehouse",
	"clickhouse": "s3://example-bucket/warehouse",
}

func ddl(t *testing.T, dialect, root string, opts ...DDLOption) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteDDL(&b, dialect, root, opts...); err != nil {
		t.Fatalf("%s: %v", dialect, err)
	}
	return b.String()
}

// checkGolden compares got with the file, or rewrites it under -update.
func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./schema -update)", err)
	}
	if string(want) != got {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the generated output at line %d:\n  file: %q\n  now:  %q\nrun go test ./schema -update if the change is intended", file, i+1, w, g)
			}
		}
	}
}

func TestDDLGolden(t *testing.T) {
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			root, ok := goldenRoots[d]
			if !ok {
				t.Fatalf("no golden root for dialect %s", d)
			}
			checkGolden(t, filepath.Join("testdata", "ddl_"+d+".sql"), ddl(t, d, root))
		})
	}
}

// dialectQuote is how each dialect writes an identifier.
var dialectQuote = map[string]func(string) string{
	"duckdb": quoteDouble, "trino": quoteDouble, "spark": quoteSpark, "bigquery": quoteBackslash, "clickhouse": quoteBackslash,
}

// statements splits DDL into statements without comment lines.
func statements(s string) []string {
	var out []string
	for _, st := range strings.Split(s, ";\n") {
		var lines []string
		for _, l := range strings.Split(st, "\n") {
			if !strings.HasPrefix(l, "--") {
				lines = append(lines, l)
			}
		}
		if st := strings.TrimSpace(strings.Join(lines, "\n")); st != "" {
			out = append(out, st)
		}
	}
	return out
}

// TestDDLCoversEveryColumn: every table of Tables() gets a statement that
// reads its directory and declares each of its columns (and, for facts, the
// partition columns last), in every dialect. A column added to a row struct
// is covered, or this fails.
func TestDDLCoversEveryColumn(t *testing.T) {
	for _, d := range Dialects() {
		root := goldenRoots[d]
		stmts := statements(ddl(t, d, root))
		q := dialectQuote[d]
		for _, tb := range Tables() {
			dir := joinRoot(root, tb.Dir())
			if d == "clickhouse" {
				dir = "/warehouse/" + tb.Dir() + "/" // s3:// became an HTTPS URL
			}
			var found []string
			for _, st := range stmts {
				if strings.HasPrefix(st, "CREATE ") && strings.Contains(st, dir) {
					found = append(found, st)
				}
			}
			if len(found) != 1 {
				t.Errorf("%s: %d CREATE statements read %s, want 1", d, len(found), dir)
				continue
			}
			st := found[0]
			if d == "duckdb" {
				// read_parquet(union_by_name) exposes the files' columns:
				// TestDuckDBDDLColumns (-tags duckdb) checks them.
				if !strings.Contains(st, "VIEW "+tb.Name+" ") {
					t.Errorf("duckdb: no view %s", tb.Name)
				}
				continue
			}
			last := -1
			for _, c := range tb.Columns() {
				i := strings.Index(st, q(c.Name)+" ")
				if i < 0 {
					t.Errorf("%s: %s.%s is not declared", d, tb.Name, c.Name)
					continue
				}
				if i < last {
					t.Errorf("%s: %s.%s is out of order", d, tb.Name, c.Name)
				}
				last = i
			}
			if tb.Partitioned && d == "clickhouse" {
				// SELECT *, <from _path> AS date, <from _path> AS hour
				if !strings.Contains(st, "SELECT\n  *,\n") || !strings.Contains(st, "AS "+q(partDate)+",\n") || !strings.Contains(st, "AS "+q(partHour)+"\nFROM") {
					t.Errorf("%s: %s: partition columns date, hour must come last, in that order", d, tb.Name)
				}
			} else if tb.Partitioned {
				id, ih := strings.Index(st, q(partDate)+" "), strings.Index(st, q(partHour)+" ")
				if id < last || ih < id {
					t.Errorf("%s: %s: partition columns date, hour must come last, in that order", d, tb.Name)
				}
			}
		}
	}
}

func TestDDLDimensionsDeduplicated(t *testing.T) {
	for _, d := range Dialects() {
		out := ddl(t, d, goldenRoots[d])
		for _, tb := range Tables() {
			if tb.Partitioned {
				continue
			}
			var ok bool
			for _, st := range statements(out) {
				if strings.Contains(st, "VIEW") && strings.Contains(st, tb.Name) &&
					(strings.Contains(st, "SELECT DISTINCT *") || strings.Contains(st, "PARTITION BY "+quoteBackslash(tb.KeyColumn()))) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s: no deduplicating view for %s", d, tb.Name)
			}
		}
	}
}

func TestQuoting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{quoteDouble("date"), `"date"`},
		{quoteDouble(`a"b`), `"a""b"`},
		{quoteSpark("hour"), "`hour`"},
		{quoteSpark("a`b"), "`a``b`"},
		{quoteBackslash("date"), "`date`"},
		{quoteBackslash("a`b\\c"), "`a\\`b\\\\c`"},
		{sqlString(`it's \n`), `'it''s \n'`},
		{backslashString(`it's \n`), `'it\'s \\n'`},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	// Reserved words used as column names are quoted in every dialect.
	for _, d := range []string{"trino", "spark", "bigquery", "clickhouse"} {
		out := ddl(t, d, goldenRoots[d])
		for _, id := range []string{"date", "hour", "path", "name", "query", "version"} {
			if !strings.Contains(out, dialectQuote[d](id)+" ") {
				t.Errorf("%s: %s is not quoted", d, id)
			}
		}
	}
}

func TestDDLRoots(t *testing.T) {
	for _, c := range []struct{ root, want string }{
		{"s3://bucket/wh", "s3://bucket/wh/t"},
		{"s3://bucket/wh/", "s3://bucket/wh/t"},
		{"gs://bucket", "gs://bucket/t"},
		{"/srv/wh", "/srv/wh/t"},
		{"/srv/wh/", "/srv/wh/t"},
	} {
		if got := joinRoot(c.root, "t"); got != c.want {
			t.Errorf("joinRoot(%q) = %q, want %q", c.root, got, c.want)
		}
	}
	if r, err := ResolveRoot("s3://bucket/wh/"); err != nil || r != "s3://bucket/wh" {
		t.Errorf("ResolveRoot(s3 URL) = %q, %v", r, err)
	}
	if r, err := ResolveRoot("wh"); err != nil || !filepath.IsAbs(r) {
		t.Errorf("ResolveRoot(wh) = %q, %v", r, err)
	}
	// A URL root survives into every dialect's locations unmangled.
	if out := ddl(t, "duckdb", "s3://bucket/wh"); !strings.Contains(out, "'s3://bucket/wh/dim_url/**/*.parquet'") {
		t.Errorf("duckdb mangles URLs:\n%s", out)
	}
	if out := ddl(t, "trino", "gs://bucket/wh/"); !strings.Contains(out, "external_location = 'gs://bucket/wh/dim_url',") {
		t.Errorf("trino mangles URLs")
	}
	for root, want := range map[string]string{
		"/srv/wh":                    "file('/srv/wh/dim_url/*.parquet', 'Parquet', ",
		"gs://bucket/wh":             "s3('https://storage.googleapis.com/bucket/wh/dim_url/*.parquet', 'Parquet', ",
		"s3://bucket":                "s3('https://bucket.s3.amazonaws.com/dim_url/*.parquet', 'Parquet', ",
		"http://minio:9000/bucket/w": "s3('http://minio:9000/bucket/w/dim_url/*.parquet', 'Parquet', ",
	} {
		if out := ddl(t, "clickhouse", root); !strings.Contains(out, want) {
			t.Errorf("clickhouse, root %s: no %s", root, want)
		}
	}
	var b bytes.Buffer
	if err := WriteDDL(&b, "bigquery", "/srv/wh"); err == nil {
		t.Error("bigquery accepted a local warehouse")
	}
	if err := WriteDDL(&b, "oracle", "/srv/wh"); err == nil {
		t.Error("unknown dialect accepted")
	}
}

func TestDDLDataset(t *testing.T) {
	out := ddl(t, "bigquery", "gs://b/wh", Dataset("proj.logs"))
	if !strings.Contains(out, "CREATE OR REPLACE EXTERNAL TABLE `proj.logs.fact_http_exchange` (") {
		t.Error("bigquery ignores the dataset")
	}
	out = ddl(t, "trino", "s3://b/wh", Dataset("logs"))
	if !strings.Contains(out, `"logs"."dim_url_files"`) || !strings.Contains(out, "schema_name => 'logs'") {
		t.Error("trino ignores the dataset")
	}
	if ddl(t, "spark", "s3://b/wh", Dataset("")) != ddl(t, "spark", "s3://b/wh") {
		t.Error(`Dataset("") is not the default`)
	}
}

// TestTypeMapping covers Parquet types the current tables do not use yet.
func TestTypeMapping(t *testing.T) {
	sch := parquet.NewSchema("t", parquet.Group{
		"a_bool": parquet.Leaf(parquet.BooleanType),
		"b_i8":   parquet.Int(8),
		"c_u16":  parquet.Uint(16),
		"d_u32":  parquet.Uint(32),
		"e_u64":  parquet.Uint(64),
		"f_f32":  parquet.Leaf(parquet.FloatType),
		"g_f64":  parquet.Optional(parquet.Leaf(parquet.DoubleType)),
		"h_str":  parquet.Optional(parquet.String()),
		"i_bin":  parquet.Optional(parquet.Leaf(parquet.ByteArrayType)),
		"j_ts":   parquet.Optional(parquet.TimestampAdjusted(parquet.Millisecond, true)),
		"k_ntz":  parquet.TimestampAdjusted(parquet.Nanosecond, false),
		"l_date": parquet.Date(),
		"m_list": parquet.List(parquet.Int(64)),
		"n_i32":  parquet.Leaf(parquet.Int32Type),
	})
	want := map[string][5]string{ // trino, spark, bigquery, clickhouse, dictionary
		"a_bool": {"boolean", "BOOLEAN", "BOOL", "Bool", "BOOLEAN"},
		"b_i8":   {"tinyint", "TINYINT", "INT64", "Int8", "INT8"},
		"c_u16":  {"integer", "INT", "INT64", "UInt16", "UINT16"},
		"d_u32":  {"bigint", "BIGINT", "INT64", "UInt32", "UINT32"},
		"e_u64":  {"decimal(20,0)", "DECIMAL(20,0)", "NUMERIC", "UInt64", "UINT64"},
		"f_f32":  {"real", "FLOAT", "FLOAT64", "Float32", "FLOAT"},
		"g_f64":  {"double", "DOUBLE", "FLOAT64", "Float64", "DOUBLE"},
		"h_str":  {"varchar", "STRING", "STRING", "String", "STRING"},
		"i_bin":  {"varbinary", "BINARY", "BYTES", "String", "BINARY"},
		"j_ts":   {"timestamp", "TIMESTAMP", "TIMESTAMP", "DateTime64(3, 'UTC')", "TIMESTAMP(UTC, MILLIS)"},
		"k_ntz":  {"timestamp", "TIMESTAMP_NTZ", "DATETIME", "DateTime64(9)", "TIMESTAMP(local, NANOS)"},
		"l_date": {"date", "DATE", "DATE", "Date32", "DATE"},
		"m_list": {"array(bigint)", "ARRAY<BIGINT>", "ARRAY<INT64>", "Array(Int64)", "LIST<INT64>"},
		"n_i32":  {"integer", "INT", "INT64", "Int32", "INT32"},
	}
	for _, f := range sch.Fields() {
		typ, err := columnType(f)
		if err != nil {
			t.Errorf("%s: %v", f.Name(), err)
			continue
		}
		got := [5]string{trinoType(typ), sparkType(typ), bigQueryType(typ), clickHouseType(typ), typ.String()}
		if got != want[f.Name()] {
			t.Errorf("%s: got %q, want %q", f.Name(), got, want[f.Name()])
		}
	}
	bad := parquet.NewSchema("t", parquet.Group{
		"map":     parquet.Map(parquet.String(), parquet.String()),
		"decimal": parquet.Decimal(2, 10, parquet.Int64Type),
		"struct":  parquet.Group{"x": parquet.Int(32)},
		"rep":     parquet.Repeated(parquet.String()),
	})
	for _, f := range bad.Fields() {
		if typ, err := columnType(f); err == nil {
			t.Errorf("%s: mapped to %s, want an error", f.Name(), typ)
		}
	}
}

// TestTableTypes pins the mapping of the types the tables use today.
func TestTableTypes(t *testing.T) {
	tables, err := ddlTables()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, tb := range tables {
		for _, c := range tb.cols {
			types[tb.Name+"."+c.name] = typ(c)
		}
	}
	for col, want := range map[string]string{
		"fact_http_exchange.exchange_id":      "INT64",
		"fact_http_exchange.date_key":         "INT32",
		"fact_http_exchange.method":           "STRING null",
		"fact_http_exchange.request_line_raw": "BINARY null",
		"fact_http_exchange.request_ts":       "TIMESTAMP(UTC, MICROS) null",
		"fact_http_exchange.anomalies":        "LIST<STRING>",
		"fact_http_exchange.pipelined":        "BOOLEAN",
		"dim_date.date":                       "DATE",
		"dim_source_file.capture_loss_pct":    "DOUBLE",
		"fact_tcp_connection.first_ts":        "TIMESTAMP(UTC, MICROS)",
	} {
		if types[col] != want {
			t.Errorf("%s: %q, want %q", col, types[col], want)
		}
	}
}

func typ(c ddlColumn) string {
	if c.nullable {
		return c.typ.String() + " null"
	}
	return c.typ.String()
}
