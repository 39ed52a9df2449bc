package main

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/spanlake/spanlake/etl"
	"github.com/spanlake/spanlake/ingest"
	"github.com/spanlake/spanlake/ingest/http1"
	"github.com/spanlake/spanlake/reassembly"
)

// limitFlags are the memory caps and timeouts of ingest. Their defaults
// keep a run within the budget stated in the README ("Memory and limits").
func limitFlags() []cli.Flag {
	return []cli.Flag{
		&cli.Int64Flag{Name: "memory-budget", Value: etl.DefaultMemoryBudget, Category: "Limits",
			Usage: "bytes of table rows buffered before sorted runs spill to WAREHOUSE/_spanlake (the files written do not depend on it)"},
		&cli.IntFlag{Name: "max-connections", Value: reassembly.DefaultMaxConnections, Category: "Limits",
			Usage: "flow-table cap, connections and flows awaiting their handshake together: beyond it the stalest flow is closed (close_reason evicted)"},
		&cli.IntFlag{Name: "max-buffer-per-connection", Value: reassembly.DefaultMaxBufferedBytesPerConn, Category: "Limits",
			Usage: "out-of-order bytes held per connection direction before the hole is given up as a gap"},
		&cli.Int64Flag{Name: "max-buffer", Value: reassembly.DefaultMaxBufferedBytesTotal, Category: "Limits",
			Usage: "out-of-order bytes held over all connections; beyond it the biggest holder is flushed with gaps (anomaly buffer_overflow)"},
		&cli.DurationFlag{Name: "idle-timeout", Value: reassembly.DefaultIdleTimeout, Category: "Limits",
			Usage: "close a connection without packets for this long, in capture time (close_reason idle_timeout)"},
		&cli.IntFlag{Name: "max-header-bytes", Value: http1.DefaultMaxHeaderBytes, Category: "Limits",
			Usage: "start line plus header block kept per message (anomaly oversized_header beyond)"},
		&cli.IntFlag{Name: "max-headers", Value: http1.DefaultMaxHeaders, Category: "Limits",
			Usage: "header lines kept per message (anomaly too_many_headers beyond)"},
		&cli.IntFlag{Name: "max-pipeline-depth", Value: http1.DefaultMaxPipelineDepth, Category: "Limits",
			Usage: "requests waiting for their response per connection (anomaly pipeline_overflow beyond)"},
	}
}

// applyLimits copies the body limits, caps and timeouts into opts.
func applyLimits(c *cli.Context, opts *ingest.Options) error {
	if c.Int("request-body-limit") < 0 || c.Int("response-body-limit") < 0 {
		return usagef("ingest: body limits must not be negative")
	}
	opts.HTTP.RequestBodyLimit = c.Int("request-body-limit")
	opts.HTTP.DisableRequestBodies = c.Int("request-body-limit") == 0
	opts.HTTP.ResponseBodyLimit = c.Int("response-body-limit")
	opts.HTTP.MaxHeaderBytes = c.Int("max-header-bytes")
	opts.HTTP.MaxHeaders = c.Int("max-headers")
	opts.HTTP.MaxPipelineDepth = c.Int("max-pipeline-depth")
	opts.Reassembly = reassembly.Config{
		MaxConnections:          c.Int("max-connections"),
		MaxBufferedBytesPerConn: c.Int("max-buffer-per-connection"),
		MaxBufferedBytesTotal:   c.Int64("max-buffer"),
		IdleTimeout:             c.Duration("idle-timeout"),
	}
	for _, v := range []int64{int64(opts.HTTP.MaxHeaderBytes), int64(opts.HTTP.MaxHeaders), int64(opts.HTTP.MaxPipelineDepth),
		int64(opts.Reassembly.MaxConnections), int64(opts.Reassembly.MaxBufferedBytesPerConn), opts.Reassembly.MaxBufferedBytesTotal,
		int64(opts.Reassembly.IdleTimeout / time.Nanosecond)} {
		if v <= 0 {
			return usagef("ingest: limits and timeouts must be positive")
		}
	}
	cfg := opts.Reassembly
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return usagef("ingest: %w", err)
	}
	return nil
}
