package etl

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/etl/atomicfile"
	"github.com/spanlake/spanlake/schema"
)

// compactedName is the file a compacted dimension lives in.
const compactedName = "part-compacted.parquet"

// CompactStats reports what Compact did to one dimension.
type CompactStats struct {
	Table             string
	FilesBefore, Rows int
	DuplicatesRemoved int
}

// Compact rewrites every dimension of the warehouse at root into one file
// with one row per key. The new file is written atomically before the old
// ones are removed: a crash in between leaves identical duplicate rows,
// which DISTINCT (and the next Compact) remove — never a missing member.
func Compact(root string) ([]CompactStats, error) {
	// The caller holds the warehouse lock: temporary files are leftovers
	// of a killed run.
	if err := atomicfile.RemoveTemps(root); err != nil {
		return nil, err
	}
	var out []CompactStats
	for _, step := range []struct {
		table string
		run   func(dir string) (CompactStats, error)
	}{
		{"dim_date", compactDim(func(r *schema.DimDate) int64 { return int64(r.DateKey) })},
		{"dim_time", compactDim(func(r *schema.DimTime) int64 { return int64(r.TimeKey) })},
		{"dim_endpoint", compactDim(func(r *schema.DimEndpoint) int64 { return r.EndpointKey })},
		{"dim_vhost", compactDim(func(r *schema.DimVhost) int64 { return r.VhostKey })},
		{"dim_url", compactDim(func(r *schema.DimURL) int64 { return r.URLKey })},
		{"dim_user_agent", compactDim(func(r *schema.DimUserAgent) int64 { return r.UserAgentKey })},
		{"dim_referrer", compactDim(func(r *schema.DimReferrer) int64 { return r.ReferrerKey })},
		{"dim_content_type", compactDim(func(r *schema.DimContentType) int64 { return r.ContentTypeKey })},
	} {
		st, err := step.run(filepath.Join(root, step.table))
		if err != nil {
			return out, fmt.Errorf("compact %s: %w", step.table, err)
		}
		st.Table = step.table
		out = append(out, st)
	}
	return out, nil
}

// compactDim returns the compaction of one dimension directory whose rows
// are T, keyed by key.
func compactDim[T any](key func(*T) int64) func(dir string) (CompactStats, error) {
	return func(dir string) (CompactStats, error) {
		var st CompactStats
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return st, nil
		}
		if err != nil {
			return st, err
		}
		var files []string
		for _, e := range entries {
			if n := e.Name(); e.Type().IsRegular() && strings.HasSuffix(n, ".parquet") && !strings.HasPrefix(n, ".") {
				files = append(files, n)
			}
		}
		st.FilesBefore = len(files)
		if len(files) == 0 || (len(files) == 1 && files[0] == compactedName) {
			return st, nil
		}
		rows := map[int64]T{}
		read := 0
		for _, f := range files {
			rs, err := parquet.ReadFile[T](filepath.Join(dir, f))
			if err != nil {
				return st, fmt.Errorf("read %s: %w", filepath.Join(dir, f), err)
			}
			for i := range rs {
				rows[key(&rs[i])] = rs[i]
			}
			read += len(rs)
		}
		keys := make([]int64, 0, len(rows))
		for k := range rows {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		sorted := make([]T, len(keys))
		for i, k := range keys {
			sorted[i] = rows[k]
		}
		if err := writeAtomic(dir, compactedName, func(w io.Writer) error { return writeParquet(w, sorted) }); err != nil {
			return st, err
		}
		for _, f := range files {
			if f != compactedName {
				if err := os.Remove(filepath.Join(dir, f)); err != nil {
					return st, err
				}
			}
		}
		st.Rows, st.DuplicatesRemoved = len(sorted), read-len(sorted)
		return st, atomicfile.SyncDir(dir)
	}
}
