package etl

import (
	"fmt"
	"path/filepath"
	"time"
)

// partition is one Hive partition of a fact table, for one capture file.
type partition struct {
	source uint64
	date   int32 // YYYYMMDD
	hour   int
}

func partitionOf(source uint64, t time.Time) partition {
	return partition{source: source, date: dateKey(t), hour: t.Hour()}
}

// dir is the partition directory relative to the table: hour unpadded so
// that engines infer an integer partition column.
func (p partition) dir() string {
	return filepath.Join(fmt.Sprintf("date=%04d-%02d-%02d", p.date/10000, p.date/100%100, p.date%100), fmt.Sprintf("hour=%d", p.hour))
}

// partFileName names the n-th file of a capture in a partition or dimension.
func partFileName(source uint64, n int) string {
	return fmt.Sprintf("part-%016x-%d.parquet", source, n)
}
