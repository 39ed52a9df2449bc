package main

import (
	"math"
	"os"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// defaultMemoryLimit is the Go runtime's soft memory limit unless
// --memory-limit or GOMEMLIMIT says otherwise.
//
// Why a soft limit: with the runtime's default (GOGC=100 and no limit) the
// heap may grow to twice what is live before a collection, so a run whose
// caps keep 600 MiB live (a SYN flood filling the flow table) peaks near
// 1.3 GiB plus garbage from the burst of evictions. With the limit the
// collector runs as often as needed to stay under it, which costs CPU only
// when the live heap gets close; ordinary runs (tens of MiB live) never
// notice. It is a soft limit: if the caps let more than this be live, the
// run goes on (slower, the collector's CPU share is capped by the runtime),
// it does not fail. 1 GiB leaves half of a 2 GB sensor to the capture and
// the page cache; the caps' defaults keep the live heap well below it.
const defaultMemoryLimit = 1 << 30

func memoryLimitFlag() cli.Flag {
	return &cli.Int64Flag{Name: "memory-limit", Value: defaultMemoryLimit, EnvVars: []string{"SPANLAKE_MEMORY_LIMIT"},
		Usage: "soft limit of the Go heap in bytes: the collector works harder near it (0: no limit; GOMEMLIMIT, if set, wins over the default)"}
}

// applyMemoryLimit sets the runtime's soft memory limit from --memory-limit.
// An explicit flag wins; otherwise a GOMEMLIMIT in the environment (which
// the runtime has already applied) is left alone.
func applyMemoryLimit(c *cli.Context) error {
	limit := c.Int64("memory-limit")
	if limit < 0 {
		return usagef("--memory-limit must not be negative")
	}
	if !c.IsSet("memory-limit") && os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	if limit == 0 {
		debug.SetMemoryLimit(math.MaxInt64) // no limit
		return nil
	}
	debug.SetMemoryLimit(limit)
	return nil
}
