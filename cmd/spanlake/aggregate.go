package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/spanlake/spanlake/etl/aggregate"
)

func aggregateCommand() *cli.Command {
	return &cli.Command{
		Name:      "aggregate",
		Usage:     "roll exchanges up into time-bucketed measures by dimensions (table, CSV, JSON, Parquet or an HTML report)",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			warehouseFlag(),
			&cli.StringFlag{Name: "input", Value: aggregate.FactTable, Usage: "what to aggregate: fact_http_exchange, a rollup table (agg_http_minute, agg_http_hour) or a rollup directory"},
			&cli.StringFlag{Name: "from", Usage: "first instant, inclusive (RFC 3339 or YYYY-MM-DD)"},
			&cli.StringFlag{Name: "to", Usage: "last instant, exclusive (RFC 3339 or YYYY-MM-DD)"},
			&cli.StringFlag{Name: "tz", Value: "UTC", Usage: "time zone of YYYY-MM-DD bounds (buckets are always UTC)"},
			&cli.StringFlag{Name: "grain", Value: "hour", Usage: "time bucket: minute, hour, day, or all (one bucket; not with --out tables)"},
			&cli.StringFlag{Name: "by", Usage: "dimensions, comma-separated: " + strings.Join(aggregate.DimNames(), ", ")},
			&cli.GenericFlag{Name: "where", Value: &whereFlag{}, Usage: "filter DIM OP VALUE (OP = != < <= > >=; ordering only for status); repeat to AND"},
			&cli.IntFlag{Name: "top", Usage: "keep the N groups with the most requests per bucket (stdout formats and the report only)"},
			&cli.StringFlag{Name: "format", Usage: "table (default), csv, json (JSON Lines), html (report, needs --out FILE), or parquet (default with --out DIR)"},
			&cli.StringFlag{Name: "out", Usage: "write agg_http_<grain> Parquet tables under DIR (or the HTML report to FILE)"},
		},
		Action: runAggregate,
	}
}

// whereFlag collects repeated --where values without splitting on commas
// (paths and hosts may contain them).
type whereFlag struct{ values []string }

func (w *whereFlag) Set(v string) error { w.values = append(w.values, v); return nil }
func (w *whereFlag) String() string     { return strings.Join(w.values, " AND ") }

func runAggregate(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("aggregate: unexpected argument %q", c.Args().First())
	}
	loc, err := time.LoadLocation(c.String("tz"))
	if err != nil {
		return usagef("aggregate: --tz: %w", err)
	}
	from, err := parseTime(c.String("from"), loc)
	if err != nil {
		return usagef("aggregate: --from: %w", err)
	}
	to, err := parseTime(c.String("to"), loc)
	if err != nil {
		return usagef("aggregate: --to: %w", err)
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return usagef("aggregate: --from %s is not before --to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	grain, err := aggregate.ParseGrain(c.String("grain"))
	if err != nil {
		return usagef("aggregate: --grain: %w", err)
	}
	by, err := aggregate.ParseDims(c.String("by"))
	if err != nil {
		return usagef("aggregate: --by: %w", err)
	}
	var where []aggregate.Filter
	if wf, ok := c.Generic("where").(*whereFlag); ok {
		for _, s := range wf.values {
			f, err := aggregate.ParseFilter(s)
			if err != nil {
				return usagef("aggregate: --where: %w", err)
			}
			where = append(where, f)
		}
	}
	top := c.Int("top")
	if top < 0 {
		return usagef("aggregate: --top must be positive")
	}
	out, format := c.String("out"), c.String("format")
	switch {
	case format == "":
		format = "table"
		if out != "" {
			format = "parquet"
		}
	case format == "html" && out == "":
		return usagef("aggregate: --format html needs --out FILE")
	case format == "parquet" && out == "":
		return usagef("aggregate: --format parquet needs --out DIR")
	case format != "html" && format != "parquet" && out != "":
		return usagef("aggregate: --out is for --format parquet or html; %s goes to stdout", format)
	}
	switch format {
	case "table", "csv", "json", "html", "parquet":
	default:
		return usagef("aggregate: --format: unknown format %q (known: table, csv, json, html, parquet)", format)
	}
	if format == "parquet" {
		if top > 0 {
			return usagef("aggregate: %w", aggregate.ErrTopNotWritable)
		}
		if grain == aggregate.GrainAll {
			return usagef("aggregate: --grain all cannot be written as a table")
		}
		// A partition file must hold its whole partition: replacing it with
		// a partial one would lose rows.
		from, to = aggregate.PartitionRange(grain, from, to)
	}
	root := c.String("warehouse")
	if _, err := os.Stat(root); err != nil {
		return fmt.Errorf("aggregate: warehouse: %w", err)
	}
	opts := aggregate.Options{Warehouse: root, Input: c.String("input"), From: from, To: to, Where: where, Logger: logger(c)}
	ctx := c.Context
	if format == "html" {
		rep, err := aggregate.BuildReport(ctx, opts, grain, max(top, 10))
		if err != nil {
			return aggregateErr(err)
		}
		f, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("aggregate: %w", err)
		}
		if err := rep.WriteHTML(f); err != nil {
			f.Close()
			return fmt.Errorf("aggregate: write %s: %w", out, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("aggregate: write %s: %w", out, err)
		}
		return nil
	}
	res, err := aggregate.Aggregate(ctx, opts, aggregate.Query{Grain: grain, By: by, Top: top})
	if err != nil {
		return aggregateErr(err)
	}
	r := res[0]
	if format == "parquet" {
		files, err := aggregate.WriteTable(out, r)
		if err != nil {
			return fmt.Errorf("aggregate: %w", err)
		}
		logger(c).Info("aggregate finished", "table", grain.Table(), "rows_read", r.RowsRead, "groups", len(r.Groups), "files", len(files))
		return nil
	}
	if err := aggregate.WriteText(c.App.Writer, format, r); err != nil {
		return fmt.Errorf("aggregate: %w", err)
	}
	return nil
}

// aggregateErr classifies an aggregation error: an input that cannot answer
// the query (no rollup with those dimensions, a finer grain) is a usage
// error.
func aggregateErr(err error) error {
	if errors.Is(err, aggregate.ErrNoInput) {
		return usageError{err} // already prefixed "aggregate:"
	}
	return fmt.Errorf("aggregate: %w", err)
}
