package aggregate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Filter is one --where condition: DIM OP VALUE. Conditions of a query are
// ANDed.
//
// OP is = or != for every dimension; status also takes <, <=, > and >=,
// compared as numbers. VALUE "-" stands for a missing value (no response for
// status, no Host for vhost, ...). Comparisons are exact and case
// sensitive; a numeric comparison never matches a missing status.
type Filter struct {
	Dim   Dim
	Op    string
	Value string
	num   int64 // Value as a number, for ordering operators
}

var filterOps = []string{"<=", ">=", "!=", "=", "<", ">"} // longest first

// ParseFilter parses "status>=500", "vhost=example.com", "is_bot!=true".
func ParseFilter(s string) (Filter, error) {
	for i := 0; i < len(s); i++ {
		for _, op := range filterOps {
			if !strings.HasPrefix(s[i:], op) {
				continue
			}
			d, err := ParseDim(s[:i])
			if err != nil {
				return Filter{}, fmt.Errorf("cannot parse filter %q: %w", s, err)
			}
			f := Filter{Dim: d, Op: op, Value: strings.TrimSpace(s[i+len(op):])}
			if op != "=" && op != "!=" {
				if d != DimStatus {
					return Filter{}, fmt.Errorf("cannot parse filter %q: %s takes only = and != (ordering is for status)", s, d)
				}
				n, err := strconv.ParseInt(f.Value, 10, 32)
				if err != nil {
					return Filter{}, fmt.Errorf("cannot parse filter %q: %q is not a status code", s, f.Value)
				}
				f.num = n
			}
			return f, nil
		}
	}
	return Filter{}, fmt.Errorf("cannot parse filter %q: want DIM OP VALUE with OP one of = != < <= > >=", s)
}

// String is the canonical form, as recorded in the `filter` column.
func (f Filter) String() string { return f.Dim.String() + f.Op + f.Value }

// match tests a dimension value; null is the missing value.
func (f Filter) match(v string, null bool) bool {
	switch f.Op {
	case "=":
		if null {
			return f.Value == "-"
		}
		return v == f.Value
	case "!=":
		if null {
			return f.Value != "-"
		}
		return v != f.Value
	}
	if null {
		return false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return false
	}
	switch f.Op {
	case "<":
		return n < f.num
	case "<=":
		return n <= f.num
	case ">":
		return n > f.num
	case ">=":
		return n >= f.num
	}
	panic("BUG: aggregate: unknown filter operator " + f.Op)
}

// filterString is the canonical text of a filter list: each filter's
// String, sorted, joined with " AND ".
func filterString(fs []Filter) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	slices.Sort(parts)
	return strings.Join(parts, " AND ")
}

// parseFilterString reverses filterString.
func parseFilterString(s string) ([]Filter, error) {
	if s == "" {
		return nil, nil
	}
	var out []Filter
	for _, p := range strings.Split(s, " AND ") {
		f, err := ParseFilter(p)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func filterDims(fs []Filter) dimSet {
	var s dimSet
	for _, f := range fs {
		s = s.with(f.Dim)
	}
	return s
}
