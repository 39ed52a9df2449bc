package logs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spanlake/spanlake/etl/atomicfile"
)

// Options select and shape the rendered log.
type Options struct {
	// Format is a --format value (see Compile).
	Format string
	Selection
	// Location renders local times (nginx's $time_local, Apache's %t) and
	// names the days of --split-by day; nil means UTC. W3C is always UTC.
	Location *time.Location
	// OutDir, when set, receives the log as files split by SplitBy
	// (optionally gzip-compressed) instead of the io.Writer.
	OutDir  string
	SplitBy Split
	Gzip    bool
}

// Result says what Render wrote.
type Result struct {
	Lines int
	// Files are the files committed under OutDir, relative to it.
	Files []string
}

// Render writes the access log of the warehouse at root to w (or to files
// under opts.OutDir), oldest line first.
func Render(root string, opts Options, w io.Writer) (Result, error) {
	var res Result
	format, err := Compile(opts.Format)
	if err != nil {
		return res, err
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	sel := opts.Selection
	sel.Headers = sel.Headers || format.NeedsHeaders()
	ex, err := OpenExchanges(root, sel)
	if err != nil {
		return res, err
	}
	defer ex.Close()
	var out sink
	var dir *dirSink
	if opts.OutDir != "" {
		// What a killed run was writing: the directory is this command's.
		if err := atomicfile.RemoveTemps(opts.OutDir); err != nil {
			return res, err
		}
		dir = &dirSink{dir: opts.OutDir, split: opts.SplitBy, gzip: opts.Gzip, format: format, loc: loc, open: map[string]*outFile{}}
		out = dir
	} else {
		ss := &streamSink{format: format}
		if opts.Gzip {
			ss.gz = newGzipWriter(w)
			ss.bw = bufio.NewWriterSize(ss.gz, 256<<10)
		} else {
			ss.bw = bufio.NewWriterSize(w, 256<<10)
		}
		out = ss
	}
	var line []byte
	for {
		r, err := ex.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			out.abort()
			return res, err
		}
		line = format.Append(line[:0], r, loc)
		line = append(line, '\n')
		if err := out.write(r, line); err != nil {
			out.abort()
			return res, err
		}
		res.Lines++
	}
	if err := out.finish(); err != nil {
		out.abort()
		return res, fmt.Errorf("cannot finish the log: %w", err)
	}
	if dir != nil {
		res.Files = dir.files
	}
	return res, nil
}
