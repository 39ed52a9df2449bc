package etl

import (
	"path/filepath"

	"github.com/spanlake/spanlake/schema"
)

// dimTables are the dimension tables whose members come from the traffic
// (addresses, hosts, paths, user agents, referrers, content types): one
// file per capture file, directly in the table's directory, rows sorted by
// key, one row per key. They are factTables (buffered under the memory
// budget, spilled, merged at commit) in their "flat, unique" mode, so a
// capture's variety costs disk, not memory (see dimSet).
type dimTables struct {
	endpoints    *factTable[schema.DimEndpoint]
	vhosts       *factTable[schema.DimVhost]
	urls         *factTable[schema.DimURL]
	userAgents   *factTable[schema.DimUserAgent]
	referrers    *factTable[schema.DimReferrer]
	contentTypes *factTable[schema.DimContentType]
}

func newDimTables(root string, files *fileTracker) *dimTables {
	return &dimTables{
		endpoints:    newDimTable(root, "dim_endpoint", files, func(r *schema.DimEndpoint) int64 { return r.EndpointKey }),
		vhosts:       newDimTable(root, "dim_vhost", files, func(r *schema.DimVhost) int64 { return r.VhostKey }),
		urls:         newDimTable(root, "dim_url", files, func(r *schema.DimURL) int64 { return r.URLKey }),
		userAgents:   newDimTable(root, "dim_user_agent", files, func(r *schema.DimUserAgent) int64 { return r.UserAgentKey }),
		referrers:    newDimTable(root, "dim_referrer", files, func(r *schema.DimReferrer) int64 { return r.ReferrerKey }),
		contentTypes: newDimTable(root, "dim_content_type", files, func(r *schema.DimContentType) int64 { return r.ContentTypeKey }),
	}
}

func newDimTable[T any](root, name string, files *fileTracker, keyOf func(*T) int64) *factTable[T] {
	t := newFactTable(filepath.Join(root, name), keyOf)
	t.files, t.flat, t.unique = files, true, true
	return t
}

// all lists the tables with their names, in a fixed order.
func (t *dimTables) all() []namedTable {
	return []namedTable{{"dim_endpoint", t.endpoints}, {"dim_vhost", t.vhosts}, {"dim_url", t.urls},
		{"dim_user_agent", t.userAgents}, {"dim_referrer", t.referrers}, {"dim_content_type", t.contentTypes}}
}

// namedTable is a table as Commit and the memory budget see it.
type namedTable struct {
	name  string
	table interface {
		spillable
		flushAll() error
		writtenFiles() map[string]bool
		rowsWritten() int64
		attach(*memBudget)
	}
}
