package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/spanlake/spanlake/etl"
	"github.com/spanlake/spanlake/ingest"
)

func compactCommand() *cli.Command {
	return &cli.Command{
		Name:  "compact",
		Usage: "rewrite each dimension into one deduplicated file (atomically)",
		Flags: []cli.Flag{warehouseFlag()},
		Action: func(c *cli.Context) error {
			root := c.String("warehouse")
			unlock, err := ingest.Lock(stateDirOf(c))
			if err != nil {
				return fmt.Errorf("compact: %w", err)
			}
			defer unlock()
			stats, err := etl.Compact(root)
			if err != nil {
				return fmt.Errorf("compact: %w", err)
			}
			log := logger(c)
			for _, s := range stats {
				log.Info("compacted", "table", s.Table, "files_before", s.FilesBefore, "rows", s.Rows, "duplicates_removed", s.DuplicatesRemoved)
			}
			return nil
		},
	}
}
