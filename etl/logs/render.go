package logs

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spanlake/spanlake/schema"
)

// Options select and shape the rendered log.
type Options struct {
	Format string
	// From (inclusive) and To (exclusive) bound the instant each line
	// stands for (see the package doc); zero means unbounded.
	From, To time.Time
	// Location renders local times (nginx's $time_local); nil means UTC.
	Location *time.Location
}

// partitionSlack is how long before a partition's hour an exchange may
// complete into the requested range: exchanges are partitioned by their
// first byte but selected by their last.
const partitionSlack = 24 * time.Hour

// Render writes the access log of the warehouse at root to w, oldest line
// first, and returns the number of lines.
func Render(root string, opts Options, w io.Writer) (int, error) {
	format, err := Compile(opts.Format)
	if err != nil {
		return 0, err
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	keep := func(rel string) bool {
		start, end, ok := partitionStart(rel)
		if !ok {
			return true
		}
		if !opts.To.IsZero() && !start.Before(opts.To) {
			return false
		}
		if !opts.From.IsZero() && end.Add(partitionSlack).Before(opts.From) {
			return false
		}
		return true
	}
	files, err := tableFiles(root, "fact_http_exchange", keep)
	if err != nil {
		return 0, fmt.Errorf("list fact_http_exchange: %w", err)
	}
	uas, err := loadDim(root, "dim_user_agent", userAgentValue)
	if err != nil {
		return 0, fmt.Errorf("load dim_user_agent: %w", err)
	}
	refs, err := loadDim(root, "dim_referrer", referrerValue)
	if err != nil {
		return 0, fmt.Errorf("load dim_referrer: %w", err)
	}
	var recs []Record
	for _, f := range files {
		rows, err := readRows[schema.FactHTTPExchange](f)
		if err != nil {
			return 0, err
		}
		for i := range rows {
			if rows[i].RequestMissing {
				continue // a server logs requests; a response alone has no line
			}
			rec := record(&rows[i], uas, refs)
			t := rec.LogTime()
			if (!opts.From.IsZero() && t.Before(opts.From)) || (!opts.To.IsZero() && !t.Before(opts.To)) {
				continue
			}
			recs = append(recs, rec)
		}
	}
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := &recs[i], &recs[j]
		if ta, tb := a.LogTime(), b.LogTime(); !ta.Equal(tb) {
			return ta.Before(tb)
		}
		if a.ConnectionID != b.ConnectionID {
			return a.ConnectionID < b.ConnectionID
		}
		return a.TransDepth < b.TransDepth
	})
	bw := bufio.NewWriterSize(w, 256<<10)
	var line []byte
	for i := range recs {
		line = format.Append(line[:0], &recs[i], loc)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return i, err
		}
	}
	return len(recs), bw.Flush()
}
