package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spanlake/spanlake/ingest"
)

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressLine redraws one status line on a terminal, at most ten times a second.
type progressLine struct {
	w     io.Writer
	start time.Time
	last  time.Time
}

func newProgressLine(w io.Writer) *progressLine {
	return &progressLine{w: w, start: time.Now()}
}

func (p *progressLine) update(pr ingest.Progress) {
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	pct := 0.0
	if pr.TotalBytes > 0 {
		pct = 100 * float64(pr.Bytes) / float64(pr.TotalBytes)
	}
	secs := now.Sub(p.start).Seconds()
	fmt.Fprintf(p.w, "\r\x1b[K[%d/%d files] %5.1f%%  %.0f MB/s  %d packets  %d exchanges",
		pr.FileIndex, pr.Files, pct, float64(pr.Bytes)/1e6/max(secs, 1e-3), pr.Packets, pr.Exchanges)
}

func (p *progressLine) done() { fmt.Fprint(p.w, "\r\x1b[K") }

// progressLog returns a Progress callback that logs one line at most every
// interval: what a run nobody watches on a terminal (a systemd timer) shows
// in its journal.
func progressLog(log *slog.Logger, every time.Duration, now func() time.Time) func(ingest.Progress) {
	last := now()
	return func(p ingest.Progress) {
		if t := now(); t.Sub(last) >= every {
			last = t
			log.Info("ingest progress", "file", p.File, "files_done", p.FileIndex, "files", p.Files,
				"bytes", p.Bytes, "total_bytes", p.TotalBytes, "packets", p.Packets, "exchanges", p.Exchanges)
		}
	}
}
