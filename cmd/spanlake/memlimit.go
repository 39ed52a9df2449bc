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
// caps keep 500 MB live (a slowloris flood filling the flow table with
// half-sent requests, README "Memory and limits") would peak near 1 GB.
// With the limit the collector runs as often as needed to stay under it,
// which costs CPU only when the live heap gets close; ordinary runs (tens
// of MiB live, 100-250 MiB of RSS) never notice. It is a soft limit: if the
// caps let more than this be live, the run goes on (slower: the runtime
// caps the collector's CPU share), it does not fail. 768 MiB is above the
// worst live heap the default caps allow on the hostile captures (about
// 500 MB), so they do not slow down (measured: 512 MiB made the slowloris
// capture 2.5 times slower), and leaves most of a 2 GB sensor to the
// capture, the page cache and tcpdump.
const defaultMemoryLimit = 768 << 20

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
