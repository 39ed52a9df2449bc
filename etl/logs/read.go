package logs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

// readRows reads every row of a Parquet file into T.
func readRows[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	r := parquet.NewGenericReader[T](pf)
	defer r.Close()
	rows := make([]T, pf.NumRows())
	n, err := r.Read(rows)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rows[:n], nil
}

// tableFiles lists the Parquet files of a table, skipping hidden and
// temporary files, in name order.
func tableFiles(root, table string, keepDir func(rel string) bool) ([]string, error) {
	dir := filepath.Join(root, table)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return nil
			}
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if rel, _ := filepath.Rel(dir, p); p != dir && keepDir != nil && !keepDir(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".parquet") && !strings.HasPrefix(name, ".") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// partitionStart parses "date=YYYY-MM-DD" and "date=.../hour=H" directory
// names; ok is false for anything else (which is then read, not pruned).
func partitionStart(rel string) (start, end time.Time, ok bool) {
	parts := strings.Split(filepath.ToSlash(rel), "/")
	date, found := strings.CutPrefix(parts[0], "date=")
	if !found {
		return start, end, false
	}
	day, err := time.Parse("2006-01-02", date)
	if err != nil {
		return start, end, false
	}
	if len(parts) < 2 {
		return day, day.Add(24 * time.Hour), true
	}
	var h int
	if _, err := fmt.Sscanf(parts[1], "hour=%d", &h); err != nil {
		return start, end, false
	}
	start = day.Add(time.Duration(h) * time.Hour)
	return start, start.Add(time.Hour), true
}

// stringDim loads a dimension's key → value map, preferring the exact raw
// bytes when the value was not valid UTF-8.
func loadDim[T any](root, table string, kv func(*T) (int64, string, bool)) (map[int64]string, error) {
	files, err := tableFiles(root, table, nil)
	if err != nil {
		return nil, err
	}
	m := map[int64]string{}
	for _, f := range files {
		rows, err := readRows[T](f)
		if err != nil {
			return nil, err
		}
		for i := range rows {
			if k, v, present := kv(&rows[i]); present {
				m[k] = v
			}
		}
	}
	return m, nil
}

func userAgentValue(r *schema.DimUserAgent) (int64, string, bool) {
	if r.UserAgentRaw != nil {
		return r.UserAgentKey, string(r.UserAgentRaw), r.Present
	}
	return r.UserAgentKey, r.UserAgent, r.Present
}

func referrerValue(r *schema.DimReferrer) (int64, string, bool) {
	if r.ReferrerRaw != nil {
		return r.ReferrerKey, string(r.ReferrerRaw), r.Present
	}
	return r.ReferrerKey, r.Referrer, r.Present
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// record resolves a fact row into a Record.
func record(f *schema.FactHTTPExchange, uas, refs map[int64]string) Record {
	r := Record{
		ExchangeID: f.ExchangeID,
		ClientIP:   f.ClientIP, ServerIP: f.ServerIP, ClientPort: int(f.ClientPort), ServerPort: int(f.ServerPort),
		HasRequest: !f.RequestMissing, RequestLine: f.RequestLine, Method: f.Method, URI: f.URI, Query: f.Query,
		HasQuery: strings.Contains(f.URI, "?"), Version: f.RequestVersion, Host: f.Host, HasHost: f.VhostKey != 0,
		AuthUser: f.AuthUser, HasAuthUser: f.AuthUser != "",
		XForwardedFor: f.XForwardedFor, HasXFF: f.XForwardedFor != "",
		HasResponse: !f.ResponseMissing, Status: int(f.StatusCode), Reason: f.Reason, ResponseVersion: f.ResponseVersion,
		RequestComplete: f.RequestComplete, ResponseComplete: f.ResponseComplete,
		RequestHeaderBytes: f.RequestHeaderBytes, RequestBodyWireBytes: f.RequestBodyWireBytes, RequestBodyBytes: f.RequestBodyBytes,
		ResponseHeaderBytes: f.ResponseHeaderBytes, ResponseBodyWireBytes: f.ResponseBodyWireBytes, ResponseBodyBytes: f.ResponseBodyBytes,
		ResponseInterimBytes: f.ResponseInterimBytes,
		RequestTS:            fromMicros(f.RequestTS), RequestEndTS: fromMicros(f.RequestEndTS),
		ResponseTS: fromMicros(f.ResponseTS), ResponseEndTS: fromMicros(f.ResponseEndTS),
		ConnectionID: f.ConnectionID, TransDepth: int(f.TransDepth), Pipelined: f.Pipelined,
		InterimStatus: int(f.InterimStatus), RequestGapBytes: f.RequestGapBytes, ResponseGapBytes: f.ResponseGapBytes,
		Upgraded: f.Upgraded, RequestBodyTruncated: f.RequestBodyTruncated, ResponseBodyTruncated: f.ResponseBodyTruncated,
		Anomalies: f.Anomalies,
	}
	if f.RequestTunnelBytes != nil {
		r.RequestTunnelBytes = *f.RequestTunnelBytes
	}
	if f.ResponseTunnelBytes != nil {
		r.ResponseTunnelBytes = *f.ResponseTunnelBytes
	}
	if f.TTFBMicros != nil {
		d := time.Duration(*f.TTFBMicros) * time.Microsecond
		r.TTFB = &d
	}
	if f.RequestLineRaw != nil {
		r.RequestLine = string(f.RequestLineRaw)
	}
	r.UserAgent, r.HasUA = uas[f.UserAgentKey]
	r.Referrer, r.HasReferrer = refs[f.ReferrerKey]
	return r
}
