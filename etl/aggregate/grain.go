package aggregate

import (
	"fmt"
	"time"
)

// Grain is the width of a time bucket.
type Grain int

// Grains. GrainAll is one bucket for the whole range (for top lists and the
// report); it cannot be written as a table.
const (
	GrainMinute Grain = iota
	GrainHour
	GrainDay
	GrainAll
)

var grainNames = [...]string{"minute", "hour", "day", "all"}

func (g Grain) String() string {
	if g < 0 || int(g) >= len(grainNames) {
		return fmt.Sprintf("Grain(%d)", int(g))
	}
	return grainNames[g]
}

// ParseGrain parses minute, hour, day or all.
func ParseGrain(s string) (Grain, error) {
	for g, n := range grainNames {
		if n == s {
			return Grain(g), nil
		}
	}
	return 0, fmt.Errorf("unknown grain %q (known: minute, hour, day, all)", s)
}

// micros per grain; 0 for GrainAll.
func (g Grain) micros() int64 {
	switch g {
	case GrainMinute:
		return int64(time.Minute / time.Microsecond)
	case GrainHour:
		return int64(time.Hour / time.Microsecond)
	case GrainDay:
		return int64(24 * time.Hour / time.Microsecond)
	}
	return 0
}

// bucket truncates a UTC timestamp in micros to the start of its bucket;
// every bucket of GrainAll starts at allStart.
func (g Grain) bucket(ts, allStart int64) int64 {
	w := g.micros()
	if w == 0 {
		return allStart
	}
	return floorMicros(ts, w)
}

// floorMicros rounds us down to a multiple of w (also for negative us).
func floorMicros(us, w int64) int64 {
	b := us / w * w
	if us < 0 && us%w != 0 {
		b -= w
	}
	return b
}

// divides reports whether every bucket of g lies inside one bucket of
// coarser: the condition for re-aggregating a g rollup to coarser.
func (g Grain) divides(coarser Grain) bool { return g <= coarser }

// Table is the name of the rollup table of the grain.
func (g Grain) Table() string { return "agg_http_" + g.String() }

// partitionMicros is the width of the table's Hive partitions: an hour for
// minute and hour rollups (date=/hour=), a day for day rollups (date=).
func (g Grain) partitionMicros() int64 {
	if g == GrainDay {
		return GrainDay.micros()
	}
	return GrainHour.micros()
}

// partitionDir names the partition holding a bucket.
func (g Grain) partitionDir(bucket int64) string {
	t := time.UnixMicro(bucket).UTC()
	if g == GrainDay {
		return "date=" + t.Format("2006-01-02")
	}
	return fmt.Sprintf("date=%s/hour=%d", t.Format("2006-01-02"), t.Hour())
}
