package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/urfave/cli/v2"
)

// Profiling of any command (issue #8: find where the time goes on the
// user's own captures, not only on the benchmark's): --cpuprofile writes a
// CPU profile of the whole command, --memprofile the heap profile at its
// end (allocations over the whole run: `go tool pprof -sample_index=alloc_space`).

func profileFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cpuprofile", Category: "Debugging", Usage: "write a CPU profile (go tool pprof) of the command to `FILE`"},
		&cli.StringFlag{Name: "memprofile", Category: "Debugging", Usage: "write a heap profile (go tool pprof) at the end of the command to `FILE`"},
	}
}

// startProfiles starts what the profile flags ask for and returns the
// function that finishes them.
func startProfiles(c *cli.Context) (stop func() error, err error) {
	var cpu *os.File
	if p := c.String("cpuprofile"); p != "" {
		if cpu, err = os.Create(p); err != nil {
			return nil, fmt.Errorf("cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("cpuprofile %s: %w", p, err)
		}
	}
	return func() error {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				return fmt.Errorf("cpuprofile: %w", err)
			}
		}
		p := c.String("memprofile")
		if p == "" {
			return nil
		}
		f, err := os.Create(p)
		if err != nil {
			return fmt.Errorf("memprofile: %w", err)
		}
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			f.Close()
			return fmt.Errorf("memprofile %s: %w", p, err)
		}
		return f.Close()
	}, nil
}
