package schema

import (
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Dialects lists the SQL dialects WriteDDL supports.
func Dialects() []string { return []string{"duckdb", "trino", "spark", "bigquery", "clickhouse"} }

// DefaultDataset is the schema (Trino), database (Spark, ClickHouse) or
// dataset (BigQuery) the statements create their tables in.
const DefaultDataset = "spanlake"

// DDLOption changes what WriteDDL writes.
type DDLOption func(*ddlConfig)

type ddlConfig struct{ dataset string }

// Dataset sets the schema/database/dataset name the statements qualify
// tables with ("" keeps DefaultDataset). DuckDB views are not qualified.
func Dataset(name string) DDLOption {
	return func(c *ddlConfig) {
		if name != "" {
			c.dataset = name
		}
	}
}

// WriteDDL writes statements that expose every table of the warehouse at
// root to the given engine. root is a local directory or a URL
// (s3://bucket/wh, gs://bucket/wh, https://...); see ResolveRoot.
//
// Partitioned tables are exposed over TABLE/date=YYYY-MM-DD/hour=H/*.parquet
// with `date` (DATE) and `hour` (integer) as the last two columns, taken from
// the directory names. Dimension views deduplicate: dimension rows are
// written per capture file, and a row is a pure function of its key, so
// DISTINCT yields exactly one row per key.
//
// Columns and types are derived from the Parquet schema of each table of
// Tables(), so tables and columns added there are covered without changes
// here; a Parquet type with no mapping is an error.
func WriteDDL(w io.Writer, dialect, root string, opts ...DDLOption) error {
	cfg := ddlConfig{dataset: DefaultDataset}
	for _, o := range opts {
		o(&cfg)
	}
	var d ddlDialect
	switch dialect {
	case "duckdb":
		return writeDuckDB(w, root)
	case "trino":
		d = trino{}
	case "spark":
		d = spark{}
	case "bigquery":
		d = bigQuery{}
	case "clickhouse":
		d = clickHouse{}
	default:
		return fmt.Errorf("unknown SQL dialect %q (known: %s)", dialect, strings.Join(Dialects(), ", "))
	}
	tables, err := ddlTables()
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := d.write(&b, tables, strings.TrimRight(root, "/"), cfg.dataset); err != nil {
		return err
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// ResolveRoot turns the -w argument into the root WriteDDL wants: a URL
// (anything with a scheme, like s3://bucket/wh) is kept as it is, minus
// trailing slashes; a local path is made absolute.
func ResolveRoot(root string) (string, error) {
	if isURL(root) {
		return strings.TrimRight(root, "/"), nil
	}
	return filepath.Abs(root)
}

var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

func isURL(s string) bool { return urlScheme.MatchString(s) }

// joinRoot joins slash-separated elements to root without touching a URL's
// "scheme://" (path.Join would turn s3://b into s3:/b).
func joinRoot(root string, elem ...string) string {
	if isURL(root) {
		return strings.TrimRight(root, "/") + "/" + strings.Join(elem, "/")
	}
	return path.Join(append([]string{filepath.ToSlash(root)}, elem...)...)
}

// sqlString is a standard SQL string literal (quotes doubled): DuckDB, Trino.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// backslashString is a string literal of an engine where backslash escapes:
// Spark, BigQuery, ClickHouse. (In Spark 'a”b' is two literals, "ab".)
func backslashString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}

// Partition columns of partitioned tables, in directory order.
const (
	partDate = "date"
	partHour = "hour"
)

// typeKind is the engine-independent type of a column.
type typeKind int

const (
	kBool typeKind = iota
	kInt
	kFloat
	kDouble
	kString
	kBinary
	kTimestamp
	kDate
	kList
)

type colType struct {
	kind   typeKind
	bits   int  // kInt: 8, 16, 32, 64
	signed bool // kInt
	utc    bool // kTimestamp: isAdjustedToUTC
	digits int  // kTimestamp: fractional digits (3, 6, 9)
	elem   *colType
}

func (t colType) String() string {
	switch t.kind {
	case kBool:
		return "BOOLEAN"
	case kInt:
		s := fmt.Sprintf("INT%d", t.bits)
		if !t.signed {
			s = "U" + s
		}
		return s
	case kFloat:
		return "FLOAT"
	case kDouble:
		return "DOUBLE"
	case kString:
		return "STRING"
	case kBinary:
		return "BINARY"
	case kTimestamp:
		unit := map[int]string{3: "MILLIS", 6: "MICROS", 9: "NANOS"}[t.digits]
		if t.utc {
			return "TIMESTAMP(UTC, " + unit + ")"
		}
		return "TIMESTAMP(local, " + unit + ")"
	case kDate:
		return "DATE"
	case kList:
		return "LIST<" + t.elem.String() + ">"
	}
	return "?"
}

type ddlColumn struct {
	name     string
	typ      colType
	nullable bool
}

type ddlTable struct {
	Table
	cols []ddlColumn // Parquet columns, in file order (partition columns excluded)
}

var (
	partDateType = colType{kind: kDate}
	partHourType = colType{kind: kInt, bits: 32, signed: true}
)

func ddlTables() ([]ddlTable, error) {
	var out []ddlTable
	for _, t := range Tables() {
		dt := ddlTable{Table: t}
		for _, f := range t.Schema().Fields() {
			typ, err := columnType(f)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", t.Name, f.Name(), err)
			}
			if t.Partitioned && (f.Name() == partDate || f.Name() == partHour) {
				return nil, fmt.Errorf("%s.%s: column clashes with a partition column", t.Name, f.Name())
			}
			dt.cols = append(dt.cols, ddlColumn{name: f.Name(), typ: typ, nullable: f.Optional()})
		}
		out = append(out, dt)
	}
	return out, nil
}

// columnType maps a top-level Parquet field to its engine-independent type.
func columnType(n parquet.Node) (colType, error) {
	if !n.Leaf() {
		fs := n.Fields()
		if lt := n.Type().LogicalType(); lt != nil && lt.String() == "LIST" && len(fs) == 1 && len(fs[0].Fields()) == 1 {
			elem, err := columnType(fs[0].Fields()[0])
			if err != nil {
				return colType{}, err
			}
			if elem.kind == kList {
				return colType{}, fmt.Errorf("nested LIST is not mapped")
			}
			return colType{kind: kList, elem: &elem}, nil
		}
		return colType{}, fmt.Errorf("group type %s is not mapped", n.Type())
	}
	if n.Repeated() {
		return colType{}, fmt.Errorf("repeated field without LIST annotation is not mapped")
	}
	var lv format.LogicalTypeValue
	if lt := n.Type().LogicalType(); lt != nil {
		lv = lt.Value
	}
	kind := n.Type().Kind()
	switch v := lv.(type) {
	case nil:
	case *format.StringType, *format.EnumType, *format.JsonType:
		if kind == parquet.ByteArray {
			return colType{kind: kString}, nil
		}
	case *format.IntType:
		if kind == parquet.Int32 || kind == parquet.Int64 {
			return colType{kind: kInt, bits: int(v.BitWidth), signed: v.IsSigned}, nil
		}
	case *format.DateType:
		if kind == parquet.Int32 {
			return colType{kind: kDate}, nil
		}
	case *format.TimestampType:
		if kind == parquet.Int64 && v.Unit.Value != nil {
			digits := map[string]int{"MILLIS": 3, "MICROS": 6, "NANOS": 9}[v.Unit.Value.String()]
			if digits != 0 {
				return colType{kind: kTimestamp, utc: v.IsAdjustedToUTC, digits: digits}, nil
			}
		}
	default:
		return colType{}, fmt.Errorf("parquet logical type %s is not mapped", lv)
	}
	if lv != nil {
		return colType{}, fmt.Errorf("parquet logical type %s on %s is not mapped", lv, kind)
	}
	switch kind {
	case parquet.Boolean:
		return colType{kind: kBool}, nil
	case parquet.Int32:
		return colType{kind: kInt, bits: 32, signed: true}, nil
	case parquet.Int64:
		return colType{kind: kInt, bits: 64, signed: true}, nil
	case parquet.Float:
		return colType{kind: kFloat}, nil
	case parquet.Double:
		return colType{kind: kDouble}, nil
	case parquet.ByteArray:
		return colType{kind: kBinary}, nil
	}
	return colType{}, fmt.Errorf("parquet type %s is not mapped", kind)
}

// ddlDialect writes the statements of one engine.
type ddlDialect interface {
	write(b *strings.Builder, tables []ddlTable, root, dataset string) error
}

func writeDuckDB(w io.Writer, root string) error {
	for _, t := range Tables() {
		glob := sqlString(joinRoot(root, t.Dir(), "**", "*.parquet"))
		var err error
		if t.Partitioned {
			_, err = fmt.Fprintf(w, "CREATE OR REPLACE VIEW %s AS SELECT * FROM read_parquet(%s, hive_partitioning = true, union_by_name = true);\n", t.Name, glob)
		} else {
			_, err = fmt.Fprintf(w, "CREATE OR REPLACE VIEW %s AS SELECT DISTINCT * FROM read_parquet(%s, union_by_name = true);\n", t.Name, glob)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
