package schema

import (
	"fmt"
	"io"
	"path"
	"strings"
)

// Dialects lists the SQL dialects WriteDDL supports.
func Dialects() []string { return []string{"duckdb"} }

// WriteDDL writes statements that expose every table of the warehouse at
// root to the given engine. Dimension views deduplicate with DISTINCT:
// dimension rows are written per capture file, and a row is a pure function
// of its key, so DISTINCT yields exactly one row per key.
func WriteDDL(w io.Writer, dialect, root string) error {
	switch dialect {
	case "duckdb":
		return writeDuckDB(w, root)
	}
	return fmt.Errorf("unknown SQL dialect %q (known: %s)", dialect, strings.Join(Dialects(), ", "))
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func writeDuckDB(w io.Writer, root string) error {
	for _, t := range Tables() {
		glob := sqlString(path.Join(root, t.Dir(), "**", "*.parquet"))
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
