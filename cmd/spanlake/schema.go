package main

import (
	"fmt"
	"path/filepath"
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
				},
				Action: func(c *cli.Context) error {
					root, err := filepath.Abs(c.String("warehouse"))
					if err != nil {
						return err
					}
					if err := schema.WriteDDL(c.App.Writer, c.String("dialect"), root); err != nil {
						return usagef("schema ddl: %w", err)
					}
					return nil
				},
			},
			{
				Name:      "describe",
				Usage:     "print the data dictionary (all tables, or one)",
				ArgsUsage: "[TABLE]",
				Action: func(c *cli.Context) error {
					tables := schema.Tables()
					if c.NArg() > 0 {
						t, ok := schema.Lookup(c.Args().First())
						if !ok {
							return usagef("schema describe: unknown table %q", c.Args().First())
						}
						tables = []schema.Table{t}
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
