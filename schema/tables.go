package schema

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Table describes one table of the warehouse.
type Table struct {
	Name        string
	Grain       string // what one row is
	Partitioned bool   // Hive-partitioned by date=/hour=
	row         reflect.Type
}

// Schema returns the Parquet schema of the table's rows.
func (t Table) Schema() *parquet.Schema { return parquet.SchemaOf(reflect.New(t.row).Interface()) }

// Dir is the table's directory inside a warehouse.
func (t Table) Dir() string { return t.Name }

// Column documents one column.
type Column struct {
	Name, Type, Doc string
	Optional        bool
}

// Columns lists the table's columns in order, with their Parquet types and
// the doc tags of the row struct.
func (t Table) Columns() []Column {
	sch := t.Schema()
	var cols []Column
	for i := 0; i < t.row.NumField(); i++ {
		f := t.row.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if name == "-" {
			continue
		}
		typ, optional := "?", false
		for _, field := range sch.Fields() {
			if field.Name() == name {
				typ, optional = describeNode(field), field.Optional()
			}
		}
		cols = append(cols, Column{Name: name, Type: typ, Doc: f.Tag.Get("doc"), Optional: optional})
	}
	return cols
}

func describeNode(n parquet.Node) string {
	if n.Leaf() {
		if lt := n.Type().LogicalType(); lt != nil {
			return fmt.Sprintf("%s (%s)", n.Type().Kind(), lt)
		}
		return n.Type().Kind().String()
	}
	if lt := n.Type().LogicalType(); lt != nil && lt.String() == "LIST" && len(n.Fields()) == 1 && len(n.Fields()[0].Fields()) == 1 {
		return "LIST<" + describeNode(n.Fields()[0].Fields()[0]) + ">"
	}
	return n.Type().String()
}

// Tables returns every table in the order a data dictionary lists them.
func Tables() []Table {
	return []Table{
		{Name: "fact_http_exchange", Grain: "one HTTP request with its response", Partitioned: true, row: reflect.TypeFor[FactHTTPExchange]()},
		{Name: "fact_tcp_connection", Grain: "one TCP connection", Partitioned: true, row: reflect.TypeFor[FactTCPConnection]()},
		{Name: "http_header", Grain: "one header line of one message (trailers included), in wire order", Partitioned: true, row: reflect.TypeFor[HTTPHeader]()},
		{Name: "http_body", Grain: "one captured message body (content-decoded, capped, hashed)", Partitioned: true, row: reflect.TypeFor[HTTPBody]()},
		{Name: "http_param", Grain: "one query, form, multipart or JSON parameter of a request", Partitioned: true, row: reflect.TypeFor[HTTPParam]()},
		{Name: "dim_date", Grain: "one calendar day (UTC)", row: reflect.TypeFor[DimDate]()},
		{Name: "dim_time", Grain: "one minute of the day", row: reflect.TypeFor[DimTime]()},
		{Name: "dim_endpoint", Grain: "one IP address", row: reflect.TypeFor[DimEndpoint]()},
		{Name: "dim_vhost", Grain: "one normalised Host", row: reflect.TypeFor[DimVhost]()},
		{Name: "dim_url", Grain: "one request path", row: reflect.TypeFor[DimURL]()},
		{Name: "dim_user_agent", Grain: "one User-Agent value", row: reflect.TypeFor[DimUserAgent]()},
		{Name: "dim_referrer", Grain: "one Referer value", row: reflect.TypeFor[DimReferrer]()},
		{Name: "dim_content_type", Grain: "one media type (+ charset)", row: reflect.TypeFor[DimContentType]()},
		{Name: "dim_source_file", Grain: "one capture file processed", row: reflect.TypeFor[DimSourceFile]()},
	}
}

// Lookup finds a table by name.
func Lookup(name string) (Table, bool) {
	for _, t := range Tables() {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// KeyColumn is the surrogate key column of a dimension ("" for facts).
func (t Table) KeyColumn() string {
	if t.Partitioned {
		return ""
	}
	name, _, _ := strings.Cut(t.row.Field(0).Tag.Get("parquet"), ",")
	return name
}
