package schema

import (
	"fmt"
	"io"
	"strings"
)

// WriteDictionary writes the data dictionary as Markdown: for each table
// (all of Tables() when none are given) its grain, partitioning and a
// column table (name, Parquet type, nullable, meaning from the doc tags).
// schema/DATA_DICTIONARY.md is this output; a test keeps it in step.
func WriteDictionary(w io.Writer, tables ...Table) error {
	if len(tables) == 0 {
		tables = Tables()
	}
	var b strings.Builder
	b.WriteString("# Data dictionary\n\n")
	fmt.Fprintf(&b, "Schema version %d. Generated from the row structs of package `schema` by `spanlake schema describe --markdown`: do not edit (`go test ./schema -update` regenerates it).\n\n", Version)
	b.WriteString("Types are Parquet types; `spanlake schema ddl --dialect D` gives each engine's. Timestamps are instants in UTC. A surrogate key of `0` is the dimension's \"not present\" member.\n\n")
	b.WriteString("| table | grain (one row per) | partitioned |\n|---|---|---|\n")
	for _, t := range tables {
		part := "no"
		if t.Partitioned {
			part = "`date=YYYY-MM-DD/hour=H`"
		}
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s |\n", t.Name, t.Name, mdCell(t.Grain), part)
	}
	for _, t := range tables {
		cols, err := dictionaryColumns(t)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "\n## %s\n\nGrain: %s.\n\n", t.Name, t.Grain)
		if t.Partitioned {
			fmt.Fprintf(&b, "Fact table, Hive-partitioned: `%s/date=YYYY-MM-DD/hour=H/*.parquet` (UTC, hour unpadded). `date` and `hour` come from the directory names, not the files.\n\n", t.Dir())
		} else {
			fmt.Fprintf(&b, "Dimension, not partitioned: `%s/*.parquet`, written per capture file; deduplicate on `%s` (every copy of a key is the same row).\n\n", t.Dir(), t.KeyColumn())
		}
		b.WriteString("| column | type | nullable | meaning |\n|---|---|---|---|\n")
		for _, c := range cols {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Name, c.Type, yesNo(c.Optional), mdCell(c.Doc))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// dictionaryColumns is Columns() with engine-independent type names, plus
// the partition columns.
func dictionaryColumns(t Table) ([]Column, error) {
	types := map[string]colType{}
	for _, f := range t.Schema().Fields() {
		typ, err := columnType(f)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t.Name, f.Name(), err)
		}
		types[f.Name()] = typ
	}
	var out []Column
	for _, c := range t.Columns() {
		typ, ok := types[c.Name]
		if !ok {
			return nil, fmt.Errorf("%s.%s: not in the Parquet schema", t.Name, c.Name)
		}
		c.Type = typ.String()
		out = append(out, c)
	}
	if t.Partitioned {
		out = append(out,
			Column{Name: partDate, Type: partDateType.String(), Doc: "partition: UTC day of the row's time (directory `date=YYYY-MM-DD`)"},
			Column{Name: partHour, Type: partHourType.String(), Doc: "partition: UTC hour 0-23 of the row's time (directory `hour=H`)"})
	}
	return out, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ").Replace(s)
}
