package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/spanlake/spanlake/etl/logs"
)

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:  "logs",
		Usage: "render an access log from the warehouse to stdout, oldest line first",
		Flags: []cli.Flag{
			warehouseFlag(),
			&cli.StringFlag{Name: "format", Value: "combined", Usage: "combined, common, nginx, or nginx:'$remote_addr ...'"},
			&cli.StringFlag{Name: "from", Usage: "first instant, inclusive (RFC 3339 or YYYY-MM-DD)"},
			&cli.StringFlag{Name: "to", Usage: "last instant, exclusive (RFC 3339 or YYYY-MM-DD)"},
			&cli.StringFlag{Name: "tz", Value: "UTC", Usage: "time zone of rendered local times and of YYYY-MM-DD bounds (IANA name or Local)"},
		},
		Action: runLogs,
	}
}

func runLogs(c *cli.Context) error {
	loc, err := time.LoadLocation(c.String("tz"))
	if err != nil {
		return usagef("logs: --tz: %w", err)
	}
	from, err := parseTime(c.String("from"), loc)
	if err != nil {
		return usagef("logs: --from: %w", err)
	}
	to, err := parseTime(c.String("to"), loc)
	if err != nil {
		return usagef("logs: --to: %w", err)
	}
	if _, err := logs.Compile(c.String("format")); err != nil {
		return usagef("logs: --format: %w", err)
	}
	root := c.String("warehouse")
	if _, err := os.Stat(root); err != nil {
		return fmt.Errorf("logs: warehouse: %w", err)
	}
	_, err = logs.Render(root, logs.Options{Format: c.String("format"), From: from, To: to, Location: loc}, c.App.Writer)
	if err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	return nil
}

// parseTime accepts RFC 3339 (with or without fractional seconds) and
// YYYY-MM-DD (midnight in loc); "" is the zero time (unbounded).
func parseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-11-24T13:00:00Z) nor YYYY-MM-DD", s)
}
