package aggregate

import "strings"

// dict interns the values of one dimension: groups are keyed by small ids
// instead of strings. Id 0 is the missing value (null).
type dict struct {
	vals []string
	idx  map[string]uint32
}

func newDict() *dict { return &dict{vals: []string{""}, idx: map[string]uint32{}} }

// id interns s. s may alias memory that is reused later (an Arrow buffer):
// a new value is cloned before it is kept.
func (d *dict) id(s string) uint32 {
	if id, ok := d.idx[s]; ok {
		return id
	}
	s = strings.Clone(s)
	id := uint32(len(d.vals))
	d.vals = append(d.vals, s)
	d.idx[s] = id
	return id
}

// value returns the value of an id; null for id 0.
func (d *dict) value(id uint32) (v string, null bool) {
	if id == 0 {
		return "", true
	}
	return d.vals[id], false
}
