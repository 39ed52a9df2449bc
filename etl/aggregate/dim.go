package aggregate

import (
	"fmt"
	"strings"
)

// Dim is a dimension a rollup can be grouped or filtered by.
type Dim int

// The dimensions, in the canonical order used for the `by` column, file
// names and output columns.
const (
	DimVhost Dim = iota
	DimPath
	DimStatus
	DimStatusClass
	DimMethod
	DimClient
	DimServer
	DimUserAgentFamily
	DimOS
	DimDevice
	DimIsBot
	DimContentType
	DimReferrerHost
	numDims
)

var dimNames = [numDims]string{
	DimVhost:           "vhost",
	DimPath:            "path",
	DimStatus:          "status",
	DimStatusClass:     "status_class",
	DimMethod:          "method",
	DimClient:          "client",
	DimServer:          "server",
	DimUserAgentFamily: "user_agent_family",
	DimOS:              "os",
	DimDevice:          "device",
	DimIsBot:           "is_bot",
	DimContentType:     "content_type",
	DimReferrerHost:    "referrer_host",
}

// String is the dimension's name on the command line and in output columns.
func (d Dim) String() string {
	if d < 0 || d >= numDims {
		return fmt.Sprintf("Dim(%d)", int(d))
	}
	return dimNames[d]
}

// DimNames lists every dimension name in canonical order.
func DimNames() []string { return append([]string(nil), dimNames[:]...) }

// ParseDim looks a dimension up by name.
func ParseDim(name string) (Dim, error) {
	name = strings.TrimSpace(name)
	for d, n := range dimNames {
		if n == name {
			return Dim(d), nil
		}
	}
	return 0, fmt.Errorf("unknown dimension %q (known: %s)", name, strings.Join(dimNames[:], ", "))
}

// ParseDims parses a comma-separated list ("vhost,status"); "" is no
// dimension. Duplicates are an error. The result is in canonical order, so
// "status,vhost" and "vhost,status" are the same grouping.
func ParseDims(list string) ([]Dim, error) {
	var set dimSet
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	for _, name := range strings.Split(list, ",") {
		d, err := ParseDim(name)
		if err != nil {
			return nil, err
		}
		if set.has(d) {
			return nil, fmt.Errorf("dimension %q given twice", d)
		}
		set = set.with(d)
	}
	return set.dims(), nil
}

// dimSet is a set of dimensions as a bit mask.
type dimSet uint32

func setOf(dims []Dim) dimSet {
	var s dimSet
	for _, d := range dims {
		s = s.with(d)
	}
	return s
}

func (s dimSet) has(d Dim) bool         { return s&(1<<d) != 0 }
func (s dimSet) with(d Dim) dimSet      { return s | 1<<d }
func (s dimSet) union(o dimSet) dimSet  { return s | o }
func (s dimSet) contains(o dimSet) bool { return s&o == o }

func (s dimSet) dims() []Dim {
	var out []Dim
	for d := Dim(0); d < numDims; d++ {
		if s.has(d) {
			out = append(out, d)
		}
	}
	return out
}

// String is the canonical comma-separated list, as stored in the `by`
// column.
func (s dimSet) String() string {
	var names []string
	for _, d := range s.dims() {
		names = append(names, d.String())
	}
	return strings.Join(names, ",")
}
