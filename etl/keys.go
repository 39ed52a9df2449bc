package etl

import "github.com/cespare/xxhash/v2"

// absentKey is the key of every dimension's "not present" member.
const absentKey int64 = 0

// dimKey hashes a natural key into a surrogate key. The dimension name is
// part of the hash so that equal values of different dimensions never share
// a key. A hash that happens to be 0 is moved to 1: 0 is reserved.
func dimKey(dim, natural string) int64 {
	d := xxhash.NewWithSeed(0)
	d.WriteString(dim)
	d.WriteString("\x00")
	d.WriteString(natural)
	k := int64(d.Sum64())
	if k == absentKey {
		return 1
	}
	return k
}
