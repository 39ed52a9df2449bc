package aggregate

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

// fixture is a synthetic warehouse in the exact layout ingest writes:
// fact_http_exchange/date=YYYY-MM-DD/hour=H/part-*.parquet (two files per
// partition) and dimension tables whose rows repeat across two files.
type fixture struct {
	dir   string
	facts []schema.FactHTTPExchange
	// attribute of each dimension key, as the aggregation must resolve it
	vhost, path, ua, ctype, refHost map[int64]string
}

var (
	fxVhosts   = []string{"", "example.com", "api.example.com", "static.example.com:8080"}
	fxPaths    = []string{"/", "/index.html", "/api/v1/items", "/api/v1/login", "/static/app.js", "/static/app.css", "/favicon.ico", "/a,b", "/x\ty"}
	fxUAs      = []string{"", "curl/8.5.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "python-requests/2.31.0"}
	fxCTypes   = []string{"", "text/html", "application/json", "image/png"}
	fxRefs     = []string{"", "https://www.google.com/search?q=x", "https://example.com/", "android-app://com.foo"}
	fxRefHosts = []string{"", "www.google.com", "example.com", ""}
	fxStatuses = []int32{200, 200, 200, 200, 304, 404, 403, 500, 503, 0}
	fxMethods  = []string{"GET", "GET", "GET", "POST", "HEAD"}
)

func fxKey(dim, v string) int64 {
	if v == "" {
		return 0
	}
	return int64(xxhash.Sum64String(dim + "\x00" + v))
}

// writeParquetFile writes rows as a zstd-compressed Parquet file, with any
// further writer options.
func writeParquetFile[T any](t testing.TB, path string, rows []T, opts ...parquet.WriterOption) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f, append([]parquet.WriterOption{parquet.Compression(&parquet.Zstd)}, opts...)...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// newFixture writes n exchanges spread over span from start.
func newFixture(t testing.TB, n int, seed uint64, start time.Time, span time.Duration) *fixture {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	fx := &fixture{dir: t.TempDir(), vhost: map[int64]string{}, path: map[int64]string{}, ua: map[int64]string{}, ctype: map[int64]string{}, refHost: map[int64]string{}}
	for _, v := range fxVhosts {
		fx.vhost[fxKey("vhost", v)] = v
	}
	fx.path[0] = "" // key 0, "no request": every dimension has it
	for _, v := range fxPaths {
		fx.path[fxKey("url", v)] = v
	}
	for _, v := range fxUAs {
		fx.ua[fxKey("ua", v)] = v
	}
	for _, v := range fxCTypes {
		fx.ctype[fxKey("ct", v)] = v
	}
	for i, v := range fxRefs {
		fx.refHost[fxKey("ref", v)] = fxRefHosts[i]
	}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	parts := map[string][]schema.FactHTTPExchange{}
	for i := 0; i < n; i++ {
		ts := start.Add(time.Duration(rng.Int64N(int64(span)))).Truncate(time.Microsecond)
		f := schema.FactHTTPExchange{
			ExchangeID: int64(i + 1), ConnectionID: int64(i/3 + 1), TransDepth: int32(i%3 + 1),
			ClientIP: fmt.Sprintf("10.0.%d.%d", rng.IntN(3), rng.IntN(40)), ClientPort: int32(40000 + rng.IntN(20000)),
			ServerIP: []string{"192.0.2.1", "192.0.2.2"}[rng.IntN(2)], ServerPort: 80,
			VhostKey: fxKey("vhost", pick(fxVhosts)), URLKey: fxKey("url", pick(fxPaths)),
			UserAgentKey: fxKey("ua", pick(fxUAs)), ReferrerKey: fxKey("ref", pick(fxRefs)),
			Method: pick(fxMethods), RequestTS: ts.UnixMicro(), RequestEndTS: ts.UnixMicro() + 50,
			RequestHeaderBytes: int64(100 + rng.IntN(400)), RequestComplete: true,
		}
		if f.Method == "POST" {
			f.RequestBodyBytes = int64(rng.IntN(5000))
			f.RequestBodyWireBytes = f.RequestBodyBytes + int64(rng.IntN(20))
		}
		status := fxStatuses[rng.IntN(len(fxStatuses))]
		if status == 0 {
			f.ResponseMissing = true
		} else {
			f.StatusCode = status
			f.ContentTypeKey = fxKey("ct", pick(fxCTypes))
			ttfb := int64(rng.ExpFloat64()*2000) + int64(rng.IntN(3)) // some zeros
			dur := ttfb + int64(rng.ExpFloat64()*20000)
			f.TTFBMicros, f.DurationUs = &ttfb, &dur
			f.ResponseTS = f.RequestEndTS + ttfb
			f.ResponseEndTS = f.RequestTS + dur
			f.ResponseHeaderBytes = int64(150 + rng.IntN(200))
			f.ResponseBodyBytes = int64(rng.IntN(100000))
			f.ResponseBodyWireBytes = f.ResponseBodyBytes + int64(rng.IntN(50))
			f.ResponseComplete = true
		}
		if rng.IntN(50) == 0 { // a response without a request
			f.RequestTS, f.RequestEndTS, f.Method, f.URLKey, f.VhostKey, f.UserAgentKey, f.ReferrerKey = 0, 0, "", 0, 0, 0, 0
			f.RequestHeaderBytes, f.RequestBodyBytes, f.RequestBodyWireBytes = 0, 0, 0
			f.RequestMissing, f.RequestComplete = true, false
			if f.ResponseMissing {
				f.ResponseMissing, f.StatusCode = false, 200
				d := int64(0)
				f.DurationUs, f.TTFBMicros = nil, &d
				f.ResponseTS, f.ResponseEndTS = ts.UnixMicro(), ts.UnixMicro()+10
			} else {
				f.TTFBMicros, f.DurationUs = nil, nil
				f.ResponseTS = ts.UnixMicro()
			}
		}
		if rng.IntN(20) == 0 {
			f.RequestGapBytes = int64(rng.IntN(1000) + 1)
		}
		if rng.IntN(15) == 0 {
			f.Anomalies = []string{"bad_header"}
			if rng.IntN(2) == 0 {
				f.Anomalies = append(f.Anomalies, "dup_content_length")
			}
		}
		t0 := f.RequestTS
		if t0 == 0 {
			t0 = f.ResponseTS
		}
		tt := time.UnixMicro(t0).UTC()
		dir := filepath.Join(fx.dir, "fact_http_exchange", "date="+tt.Format("2006-01-02"), fmt.Sprintf("hour=%d", tt.Hour()))
		name := filepath.Join(dir, fmt.Sprintf("part-%d.parquet", i%2))
		parts[name] = append(parts[name], f)
		fx.facts = append(fx.facts, f)
	}
	for name, rows := range parts {
		writeParquetFile(t, name, rows)
	}
	// Dimensions: every row twice (two "captures"), as ingest writes them.
	for _, part := range []string{"part-a.parquet", "part-b.parquet"} {
		var vh []schema.DimVhost
		for k, v := range fx.vhost {
			vh = append(vh, schema.DimVhost{VhostKey: k, Vhost: v, Present: v != ""})
		}
		writeParquetFile(t, filepath.Join(fx.dir, "dim_vhost", part), vh)
		var us []schema.DimURL
		for k, v := range fx.path {
			us = append(us, schema.DimURL{URLKey: k, Path: v, Present: v != ""})
		}
		writeParquetFile(t, filepath.Join(fx.dir, "dim_url", part), us)
		var uas []schema.DimUserAgent
		for k, v := range fx.ua {
			uas = append(uas, schema.DimUserAgent{UserAgentKey: k, UserAgent: v, Present: v != ""})
		}
		writeParquetFile(t, filepath.Join(fx.dir, "dim_user_agent", part), uas)
		var cts []schema.DimContentType
		for k, v := range fx.ctype {
			cts = append(cts, schema.DimContentType{ContentTypeKey: k, MediaType: v, Present: v != ""})
		}
		writeParquetFile(t, filepath.Join(fx.dir, "dim_content_type", part), cts)
		var refs []schema.DimReferrer
		for i, v := range fxRefs {
			refs = append(refs, schema.DimReferrer{ReferrerKey: fxKey("ref", v), Referrer: v, Host: fxRefHosts[i], Present: v != ""})
		}
		writeParquetFile(t, filepath.Join(fx.dir, "dim_referrer", part), refs)
	}
	return fx
}

// value is the expected value of a dimension for a fact ("" + null for a
// missing value), computed independently of the engine.
func (fx *fixture) value(f *schema.FactHTTPExchange, d Dim) (string, bool) {
	str := func(s string) (string, bool) { return s, s == "" }
	switch d {
	case DimVhost:
		return str(fx.vhost[f.VhostKey])
	case DimPath:
		return str(fx.path[f.URLKey])
	case DimStatus:
		if f.StatusCode == 0 {
			return "-", false
		}
		return fmt.Sprint(f.StatusCode), false
	case DimStatusClass:
		if f.StatusCode == 0 {
			return "-", false
		}
		return fmt.Sprintf("%dxx", f.StatusCode/100), false
	case DimMethod:
		return str(f.Method)
	case DimClient:
		return str(f.ClientIP)
	case DimServer:
		return str(f.ServerIP)
	case DimUserAgentFamily:
		return ClassifyUserAgent(fx.ua[f.UserAgentKey]).Family, false
	case DimOS:
		return ClassifyUserAgent(fx.ua[f.UserAgentKey]).OS, false
	case DimDevice:
		return ClassifyUserAgent(fx.ua[f.UserAgentKey]).Device, false
	case DimIsBot:
		return fmt.Sprint(ClassifyUserAgent(fx.ua[f.UserAgentKey]).IsBot), false
	case DimContentType:
		return str(fx.ctype[f.ContentTypeKey])
	case DimReferrerHost:
		return str(fx.refHost[f.ReferrerKey])
	}
	panic("unknown dim")
}
