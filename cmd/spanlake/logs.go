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
		Usage: "render an access log from the warehouse to stdout (or files), oldest line first",
		Flags: []cli.Flag{
			warehouseFlag(),
			&cli.StringFlag{Name: "format", Value: "combined", Usage: "combined, common, nginx, nginx:'[escape=json ]$remote_addr ...', apache:common, apache:combined, vhost_combined, referer, agent, apache:'%h %t ...', w3c, json"},
			&cli.StringFlag{Name: "fields", Usage: "W3C fields for --format w3c, e.g. 'date time c-ip cs-method cs-uri-stem sc-status time-taken'"},
			&cli.StringFlag{Name: "from", Usage: "first instant, inclusive (RFC 3339 or YYYY-MM-DD)"},
			&cli.StringFlag{Name: "to", Usage: "last instant, exclusive (RFC 3339 or YYYY-MM-DD)"},
			&cli.StringFlag{Name: "tz", Value: "UTC", Usage: "time zone of rendered local times, of YYYY-MM-DD bounds and of --split-by day (IANA name or Local)"},
			&cli.StringSliceFlag{Name: "vhost", Usage: "only these virtual hosts (normalised Host; *.example.com for subdomains; repeatable or comma-separated)"},
			&cli.StringSliceFlag{Name: "client", Usage: "only clients in these CIDR prefixes (after --client-ip)"},
			&cli.StringSliceFlag{Name: "status", Usage: "only these statuses: 404, 5xx, 400-499 (000 = no response)"},
			&cli.StringFlag{Name: "client-ip", Value: "peer", Usage: "client address: peer, x-forwarded-for or forwarded"},
			&cli.StringSliceFlag{Name: "trusted-proxies", Usage: "CIDR prefixes of proxies whose X-Forwarded-For/Forwarded is believed"},
			&cli.StringFlag{Name: "out-dir", Usage: "write files under DIR instead of stdout"},
			&cli.StringSliceFlag{Name: "split-by", Usage: "with --out-dir: vhost, day or vhost,day"},
			&cli.BoolFlag{Name: "gzip", Usage: "gzip the output"},
		},
		Action: runLogs,
	}
}

func runLogs(c *cli.Context) error {
	loc, err := time.LoadLocation(c.String("tz"))
	if err != nil {
		return usagef("logs: --tz: %w", err)
	}
	opts := logs.Options{Format: c.String("format"), Location: loc, OutDir: c.String("out-dir"), Gzip: c.Bool("gzip")}
	if opts.From, err = parseTime(c.String("from"), loc); err != nil {
		return usagef("logs: --from: %w", err)
	}
	if opts.To, err = parseTime(c.String("to"), loc); err != nil {
		return usagef("logs: --to: %w", err)
	}
	if fields := c.String("fields"); fields != "" {
		if opts.Format != "w3c" {
			return usagef("logs: --fields needs --format w3c")
		}
		opts.Format = "w3c:" + fields
	}
	if _, err := logs.Compile(opts.Format); err != nil {
		return usagef("logs: --format: %w", err)
	}
	opts.Filter.Vhosts = c.StringSlice("vhost")
	if opts.Filter.Clients, err = logs.ParsePrefixes(c.StringSlice("client")); err != nil {
		return usagef("logs: --client: %w", err)
	}
	if opts.Filter.Status, err = logs.ParseStatus(c.StringSlice("status")); err != nil {
		return usagef("logs: --status: %w", err)
	}
	if opts.ClientIP.Source, err = logs.ParseClientIPSource(c.String("client-ip")); err != nil {
		return usagef("logs: --client-ip: %w", err)
	}
	if opts.ClientIP.TrustedProxies, err = logs.ParsePrefixes(c.StringSlice("trusted-proxies")); err != nil {
		return usagef("logs: --trusted-proxies: %w", err)
	}
	if opts.SplitBy, err = logs.ParseSplit(c.StringSlice("split-by")); err != nil {
		return usagef("logs: --split-by: %w", err)
	}
	if (opts.SplitBy != logs.Split{}) && opts.OutDir == "" {
		return usagef("logs: --split-by needs --out-dir")
	}
	root := c.String("warehouse")
	if _, err := os.Stat(root); err != nil {
		return fmt.Errorf("logs: warehouse: %w", err)
	}
	if _, err = logs.Render(root, opts, c.App.Writer); err != nil {
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
