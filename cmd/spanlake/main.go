// Command spanlake turns packet captures of web traffic into a Parquet
// warehouse (a star schema) and renders web server access logs from it.
//
// Exit codes: 0 success; 1 failure (nothing or not everything was
// written); 2 usage error; 3 finished, but some input files were damaged or
// unreadable (rows from every good packet were written, the damaged files
// are named on stderr and in dim_source_file).
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/urfave/cli/v2"
)

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitBadInput = 3
)

// errBadInput marks a run that finished with damaged inputs.
var errBadInput = errors.New("some input files were damaged or unreadable")

// usageError marks errors in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run is main without the process: tests call it with their own writers.
func run(args []string, stdout, stderr io.Writer) int {
	app := newApp()
	app.Writer, app.ErrWriter = stdout, stderr
	err := app.Run(args)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errBadInput):
		fmt.Fprintln(stderr, "spanlake:", err)
		return exitBadInput
	}
	fmt.Fprintln(stderr, "spanlake:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

func newApp() *cli.App {
	var stopProfiles func() error // set by Before when profiling
	return &cli.App{
		Name:  "spanlake",
		Usage: "turn packet captures of web traffic into a Parquet warehouse and access logs",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error (logs go to stderr)", EnvVars: []string{"SPANLAKE_LOG_LEVEL"}},
			memoryLimitFlag(),
		}, profileFlags()...),
		Before: func(c *cli.Context) error {
			if err := applyMemoryLimit(c); err != nil {
				return err
			}
			stop, err := startProfiles(c)
			if err != nil {
				return err
			}
			stopProfiles = stop
			return nil
		},
		After: func(*cli.Context) error {
			if stopProfiles == nil {
				return nil
			}
			return stopProfiles()
		},
		Commands:        []*cli.Command{ingestCommand(), logsCommand(), schemaCommand(), compactCommand(), aggregateCommand()},
		HideHelpCommand: true,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		ExitErrHandler: func(*cli.Context, error) {}, // exit codes are decided in run
	}
}

func warehouseFlag() cli.Flag {
	return &cli.StringFlag{Name: "warehouse", Aliases: []string{"w"}, Value: "./warehouse", EnvVars: []string{"SPANLAKE_WAREHOUSE"},
		Usage: "warehouse directory"}
}

func logger(c *cli.Context) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: level}))
}
