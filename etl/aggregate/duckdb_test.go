//go:build duckdb

package aggregate

// DuckDB-backed checks: the rollups equal a SQL GROUP BY over the same
// warehouse, read by DuckDB exactly as users read it.

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func openDuckDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// duckDBViews creates views over the fixture's tables, dimensions
// deduplicated by key.
func duckDBViews(t *testing.T, db *sql.DB, dir string) {
	t.Helper()
	glob := func(table string) string { return "'" + filepath.Join(dir, table, "**", "*.parquet") + "'" }
	for _, q := range []string{
		"CREATE VIEW f AS SELECT * FROM read_parquet(" + glob("fact_http_exchange") + ", hive_partitioning = true)",
		"CREATE VIEW v AS SELECT DISTINCT vhost_key, vhost FROM read_parquet(" + glob("dim_vhost") + ")",
		"CREATE VIEW u AS SELECT DISTINCT url_key, path FROM read_parquet(" + glob("dim_url") + ")",
		"CREATE VIEW ct AS SELECT DISTINCT content_type_key, media_type FROM read_parquet(" + glob("dim_content_type") + ")",
		"CREATE VIEW rf AS SELECT DISTINCT referrer_key, host AS referrer_host FROM read_parquet(" + glob("dim_referrer") + ")",
		`CREATE VIEW x AS SELECT f.*, v.vhost, u.path, ct.media_type AS content_type, rf.referrer_host, client_ip AS client, server_ip AS server,
		   coalesce(CAST(status_code AS VARCHAR), '-') AS status,
		   CASE WHEN status_code IS NULL THEN '-' ELSE CAST(status_code // 100 AS VARCHAR) || 'xx' END AS status_class,
		   coalesce(request_ts, response_ts) AS ts
		 FROM f JOIN v USING (vhost_key) JOIN u USING (url_key) JOIN ct USING (content_type_key) JOIN rf USING (referrer_key)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestDuckDBGroupByEqualsAggregate(t *testing.T) {
	fx := newFixture(t, 6000, 11, fxStart, 3*time.Hour)
	db := openDuckDB(t)
	duckDBViews(t, db, fx.dir)
	for _, tc := range []struct {
		grain, by, where string
	}{
		{"hour", "vhost,status", ""},
		{"minute", "path", ""},
		{"day", "status_class,method,content_type,referrer_host", ""},
		{"hour", "client", "status>=500"},
		{"hour", "server,status", "vhost=example.com"},
	} {
		t.Run(tc.grain+"/"+tc.by, func(t *testing.T) {
			g, _ := ParseGrain(tc.grain)
			by, _ := ParseDims(tc.by)
			var where []Filter
			sqlWhere := "TRUE"
			if tc.where != "" {
				f, _ := ParseFilter(tc.where)
				where = []Filter{f}
				if f.Dim == DimStatus {
					sqlWhere = fmt.Sprintf("status_code %s %d", f.Op, f.num)
				} else {
					sqlWhere = fmt.Sprintf("%s = '%s'", f.Dim, f.Value)
				}
			}
			r := run1(t, Options{Warehouse: fx.dir, Where: where}, Query{Grain: g, By: by})
			got := map[string]*Group{}
			for i := range r.Groups {
				got[duckKey(r, &r.Groups[i])] = &r.Groups[i]
			}
			dims := make([]string, len(by))
			for i, d := range by {
				dims[i] = fmt.Sprintf("coalesce(CAST(%s AS VARCHAR), '<null>')", d)
			}
			keyExpr := "epoch_us(date_trunc('" + tc.grain + "', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
			if len(dims) > 0 {
				keyExpr = "CAST(" + keyExpr + " AS VARCHAR) || '|' || " + strings.Join(dims, " || '|' || ")
			}
			q := fmt.Sprintf(`SELECT %s AS k, count(*), sum(request_header_bytes + request_body_wire_bytes),
				sum(response_interim_bytes + response_header_bytes + response_body_wire_bytes), sum(response_body_bytes),
				count(*) FILTER (status_code BETWEEN 400 AND 499), count(*) FILTER (status_code BETWEEN 500 AND 599),
				count(*) FILTER (response_missing), count(*) FILTER (request_gap_bytes + response_gap_bytes > 0),
				sum(len(anomalies)), count(DISTINCT client_ip),
				count(duration_us), max(duration_us), quantile_cont(duration_us, 0.5), quantile_cont(duration_us, 0.99),
				quantile_cont(ttfb_us, 0.95)
				FROM x WHERE %s GROUP BY ALL`, keyExpr, sqlWhere)
			rows, err := db.Query(q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				n++
				var k string
				var req, reqB, respB, respBody, e4, e5, miss, gaps, anom, clients, durN int64
				var durMax sql.NullInt64
				var p50, p99, t95 sql.NullFloat64
				if err := rows.Scan(&k, &req, &reqB, &respB, &respBody, &e4, &e5, &miss, &gaps, &anom, &clients, &durN, &durMax, &p50, &p99, &t95); err != nil {
					t.Fatal(err)
				}
				g := got[k]
				if g == nil {
					t.Fatalf("DuckDB group %q missing from the rollup", k)
				}
				if g.Requests != req || g.RequestWireBytes != reqB || g.ResponseWireBytes != respB || g.ResponseBodyBytes != respBody ||
					g.Status4xx != e4 || g.Status5xx != e5 || g.ResponseMissing != miss || g.GapExchanges != gaps || g.Anomalies != anom ||
					g.DistinctClients() != clients || g.Duration.Count != durN {
					t.Errorf("group %q: rollup %+v, DuckDB %v", k, g.Measures, []int64{req, reqB, respB, respBody, e4, e5, miss, gaps, anom, clients, durN})
				}
				if durMax.Valid && g.Duration.MaxUs != durMax.Int64 {
					t.Errorf("group %q: max %d, DuckDB %d", k, g.Duration.MaxUs, durMax.Int64)
				}
				for _, c := range []struct {
					l    *Latency
					q    float64
					want sql.NullFloat64
				}{{&g.Duration, 0.5, p50}, {&g.Duration, 0.99, p99}, {&g.TTFB, 0.95, t95}} {
					v, ok := c.l.Quantile(c.q)
					if ok != c.want.Valid || (ok && !withinAccuracy(v, c.want.Float64)) {
						t.Errorf("group %q: p%v = %v, DuckDB quantile_cont %v", k, c.q*100, v, c.want.Float64)
					}
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n != len(r.Groups) {
				t.Errorf("DuckDB has %d groups, the rollup %d", n, len(r.Groups))
			}
		})
	}
}

func duckKey(r *Result, g *Group) string {
	parts := []string{fmt.Sprint(g.Bucket.UnixMicro())}
	for _, d := range setOf(r.Query.By).dims() {
		v, null := g.Value(d)
		if null {
			v = "<null>"
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "|")
}

// TestDuckDBReadsRollup: the written table loads in DuckDB with Hive
// partitioning, and summing agg_http_minute per hour gives the facts' counts.
func TestDuckDBReadsRollup(t *testing.T) {
	fx := newFixture(t, 3000, 12, fxStart, 3*time.Hour)
	r := run1(t, Options{Warehouse: fx.dir}, Query{Grain: GrainMinute, By: []Dim{DimVhost}})
	if _, err := WriteTable(fx.dir, r); err != nil {
		t.Fatal(err)
	}
	db := openDuckDB(t)
	duckDBViews(t, db, fx.dir)
	var bad int64
	q := `WITH a AS (SELECT date_trunc('hour', bucket_start) AS h, vhost, sum(requests) AS n, sum(status_5xx) AS e
	        FROM read_parquet('` + filepath.Join(fx.dir, "agg_http_minute", "**", "*.parquet") + `', hive_partitioning = true)
	        WHERE dims = 'vhost' GROUP BY ALL),
	      b AS (SELECT date_trunc('hour', ts) AS h, vhost, count(*) AS n, count(*) FILTER (status_code >= 500) AS e FROM x GROUP BY ALL)
	      SELECT count(*) FROM a FULL JOIN b ON a.h = b.h AND a.vhost IS NOT DISTINCT FROM b.vhost WHERE a.n IS DISTINCT FROM b.n OR a.e IS DISTINCT FROM b.e`
	if err := db.QueryRow(q).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d (hour, vhost) groups differ between agg_http_minute and the facts", bad)
	}
	var parts int64
	if err := db.QueryRow(`SELECT count(DISTINCT (date, hour)) FROM read_parquet('` + filepath.Join(fx.dir, "agg_http_minute", "**", "*.parquet") + `', hive_partitioning = true)`).Scan(&parts); err != nil {
		t.Fatal(err)
	}
	if parts != 4 { // 22:30 .. 01:30 spans hours 22, 23, 0, 1
		t.Errorf("%d hour partitions, want 4", parts)
	}
	_ = context.Background
	_ = math.Abs
}
