package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/spanlake/spanlake/schema"
)

func schemaCommand() *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "describe the warehouse tables or print DDL for a SQL engine",
		Subcommands: []*cli.Command{
			{
				Name:  "ddl",
				Usage: "print statements that expose the warehouse to a SQL engine",
				Flags: []cli.Flag{
					warehouseFlag(),
					&cli.StringFlag{Name: "dialect", Value: "duckdb", Usage: strings.Join(schema.Dialects(), ", ")},
					&cli.StringFlag{Name: "dataset", Value: schema.DefaultDataset, Usage: "schema/database/dataset to create the tables in (all but duckdb)"},
				},
				Action: func(c *cli.Context) error {
					root, err := schema.ResolveRoot(c.String("warehouse")) // keeps s3://, gs:// URLs
					if err != nil {
						return err
					}
					if err := schema.WriteDDL(c.App.Writer, c.String("dialect"), root, schema.Dataset(c.String("dataset"))); err != nil {
						return usagef("schema ddl: %w", err)
					}
					return nil
				},
			},
			{
				Name:      "describe",
				Usage:     "print the data dictionary (all tables, or one)",
				ArgsUsage: "[TABLE]",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "markdown", Usage: "print Markdown (schema/DATA_DICTIONARY.md)"}},
				Action: func(c *cli.Context) error {
					tables := schema.Tables()
					if c.NArg() > 0 {
						t, ok := schema.Lookup(c.Args().First())
						if !ok {
							return usagef("schema describe: unknown table %q", c.Args().First())
						}
						tables = []schema.Table{t}
					}
					if c.Bool("markdown") {
						return schema.WriteDictionary(c.App.Writer, tables...)
					}
					tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
					for _, t := range tables {
						part := ""
						if t.Partitioned {
							part = ", partitioned by date=YYYY-MM-DD/hour=H"
						}
						fmt.Fprintf(tw, "%s (one row per %s%s)\n", t.Name, t.Grain, part)
						for _, col := range t.Columns() {
							null := ""
							if col.Optional {
								null = "nullable"
							}
							fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", col.Name, col.Type, null, col.Doc)
						}
						fmt.Fprintln(tw)
					}
					return tw.Flush()
				},
			},
		},
	}
}
