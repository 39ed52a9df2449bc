package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/spanlake/spanlake/schema"
)

// This file holds the end-to-end tests of the detail tables (http_header,
// http_body, http_param) and the conformance test against Zeek's http.log
// baselines of the public corpus.

// readTable reads every Parquet file of a table (partitioned or not).
func readTable[T any](t *testing.T, wh, table string) []T {
	t.Helper()
	var rows []T
	err := filepath.WalkDir(filepath.Join(wh, table), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return nil
		}
		r, err := parquet.ReadFile[T](p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		rows = append(rows, r...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestDetailTablesNginxBasic(t *testing.T) {
	wh := t.TempDir()
	spanlake(t, 0, "ingest", "-w", wh, filepath.Join(captureDir, "nginx-basic.pcap"))
	facts := readTable[schema.FactHTTPExchange](t, wh, "fact_http_exchange")
	params := readTable[schema.HTTPParam](t, wh, "http_param")
	headers := readTable[schema.HTTPHeader](t, wh, "http_header")
	bodies := readTable[schema.HTTPBody](t, wh, "http_body")

	byID := map[int64]*schema.FactHTTPExchange{}
	for i := range facts {
		byID[facts[i].ExchangeID] = &facts[i]
	}
	// Every detail row belongs to an exchange, in the same partition
	// (same date_key), and its request_ts is the exchange's.
	check := func(table string, id int64, date int32, ts int64) {
		f := byID[id]
		if f == nil {
			t.Fatalf("%s: exchange_id %d not in fact_http_exchange", table, id)
		}
		want := f.RequestTS
		if want == 0 {
			want = f.ResponseTS
		}
		if f.DateKey != date || want != ts {
			t.Fatalf("%s: exchange %d date/ts %d/%d, fact has %d/%d", table, id, date, ts, f.DateKey, want)
		}
	}
	for _, p := range params {
		check("http_param", p.ExchangeID, p.DateKey, p.RequestTS)
	}
	for _, h := range headers {
		check("http_header", h.ExchangeID, h.DateKey, h.RequestTS)
	}
	for _, b := range bodies {
		check("http_body", b.ExchangeID, b.DateKey, b.RequestTS)
	}

	// Parameters per exchange, rendered "source:name=value".
	got := map[string][]string{}
	files := map[string][]string{}
	for _, p := range params {
		f := byID[p.ExchangeID]
		key := f.Method + " " + f.URI
		s := p.Source + ":" + p.Name
		if p.HasValue {
			s += "=" + p.Value
		}
		got[key] = append(got[key], s)
		if p.Filename != "" {
			files[p.Name] = append(files[p.Name], p.Filename)
		}
	}
	has := func(key string, want ...string) {
		t.Helper()
		for _, w := range want {
			found := false
			for _, g := range got[key] {
				found = found || g == w
			}
			if !found {
				t.Errorf("%s: no parameter %q in %q", key, w, got[key])
			}
		}
	}
	has("POST /form", "form:user=alice", "form:comment=hello world",
		"form:user=carol", "form:comment=café & crème", "form:n=3")
	has("POST /upload", "multipart:name=value", "multipart:title=two files", "multipart:file", "multipart:a", "multipart:b")
	has("POST /api/items", "json:id=7", `json:tags=["a","b"]`, "json:id=9", `json:nested={"k":[1,2,3]}`)
	has("POST /api/chunked", "json:chunked=true")
	has("PUT /api/items/7", "json:id=7")
	if fmt.Sprint(files["file"]) != "[small.txt body.txt]" || fmt.Sprint(files["a"]) != "[small.txt]" || fmt.Sprint(files["b"]) != "[body.txt]" {
		t.Errorf("multipart file names: %v", files)
	}

	// http_header has exactly the request's header lines, in order.
	var formID int64
	for _, f := range facts {
		if f.Method == "POST" && f.URI == "/form" && f.RequestBodyBytes == int64(len("user=alice&comment=hello+world")) {
			formID = f.ExchangeID
		}
	}
	var lines []string
	for _, h := range headers {
		if h.ExchangeID == formID && h.Direction == "request" {
			if int(h.Ordinal) != len(lines) || h.IsTrailer || h.NameLower != strings.ToLower(h.Name) {
				t.Errorf("header row %+v out of order or malformed", h)
			}
			lines = append(lines, h.Name+": "+h.Value)
		}
	}
	want := []string{"Host: 10.99.0.1", "User-Agent: curl/7.88.1", "Accept: */*",
		"Content-Length: 30", "Content-Type: application/x-www-form-urlencoded"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("request headers of POST /form:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	// The request body of that exchange is stored whole, with its hash.
	for _, b := range bodies {
		if b.ExchangeID == formID {
			if string(b.Body) != "user=alice&comment=hello+world" || b.Truncated || b.SHA256 == "" || b.DecodeError != "" ||
				b.ContentType != "application/x-www-form-urlencoded" || b.DecodedBytes == nil || *b.DecodedBytes != 30 {
				t.Errorf("http_body of POST /form: %+v", b)
			}
		}
	}

	// dim_user_agent is parsed.
	uas := readTable[schema.DimUserAgent](t, wh, "dim_user_agent")
	var sawCurl, sawBot bool
	for _, u := range uas {
		sawCurl = sawCurl || (u.UserAgent == "curl/7.88.1" && u.Family == "curl" && u.Version == "7.88.1" && !u.IsBot)
		sawBot = sawBot || (u.Family == "Googlebot" && u.IsBot && u.Device == "bot")
	}
	if !sawCurl || !sawBot {
		t.Errorf("dim_user_agent: curl parsed %v, Googlebot parsed %v", sawCurl, sawBot)
	}
}

// zeekDirs are where the public corpus's Zeek captures and baselines may
// be, relative to this directory (the shared directory sits next to the
// repository or inside it); SPANLAKE_PUBLIC_CORPUS overrides them.
var zeekDirs = []string{"../../shared/testdata/public/zeek", "../../../shared/testdata/public/zeek"}

// zeekCase is one http.log baseline with the captures it covers.
type zeekCase struct {
	baseline string   // path relative to the corpus root
	captures []string // idem
}

// zeekCases reads the manifest's capture table: every zeek/ capture whose
// expected outputs include an http.log (plain, .cut, .standard,
// .nonstandard). Captures sharing one baseline (multi-trace btests) are
// grouped.
func zeekCases(t *testing.T, root string) []zeekCase {
	t.Helper()
	byBaseline := map[string]*zeekCase{}
	var out []*zeekCase
	for _, e := range readManifest(t, root) {
		if !strings.HasPrefix(e.capture, "zeek/Traces/") {
			continue
		}
		for _, exp := range e.expected {
			if base := filepath.Base(exp); strings.HasPrefix(base, "http.log") && !strings.HasSuffix(base, ".json") {
				c := byBaseline[exp]
				if c == nil {
					c = &zeekCase{baseline: exp}
					byBaseline[exp] = c
					out = append(out, c)
				}
				c.captures = append(c.captures, e.capture)
			}
		}
	}
	cases := make([]zeekCase, len(out))
	for i, c := range out {
		cases[i] = *c
	}
	return cases
}

// zeekRow is one http.log line, by column name.
type zeekRow map[string]string

func readZeekLog(t *testing.T, path string) []zeekRow {
	t.Helper()
	var cols []string
	var rows []zeekRow
	for _, line := range readLines(t, path) {
		switch {
		case strings.HasPrefix(line, "#fields\t"):
			cols = strings.Split(line, "\t")[1:]
		case strings.HasPrefix(line, "#"), line == "":
		case cols == nil: // zeek-cut output: the first line names the columns
			cols = strings.Split(line, "\t")
		default:
			vals := strings.Split(line, "\t")
			r := zeekRow{}
			for i, c := range cols {
				if i < len(vals) {
					r[c] = vals[i]
				}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// zeekString renders a value the way Zeek's ASCII log writer does: unset
// is "-", empty is "(empty)", non-printable bytes and '\' are \xHH.
func zeekString(s string, present bool) string {
	if !present {
		return "-"
	}
	if s == "" {
		return "(empty)"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '\\' {
			fmt.Fprintf(&b, "\\x%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// rawURI is the request target as sent: uri holds it with invalid UTF-8
// replaced, request_line_raw has the exact bytes.
func rawURI(f *schema.FactHTTPExchange) string {
	if f.RequestLineRaw == nil {
		return f.URI
	}
	line := string(f.RequestLineRaw)
	_, rest, _ := strings.Cut(line, " ")
	if i := strings.LastIndex(rest, " "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// zeekUnescapeURI is what Zeek's HTTP analyzer does to a request target
// before http.log records it (unescape_URI in HTTP.cc): every %XX with two
// hex digits becomes its byte; anything else stays. spanlake keeps the
// target as sent (uri, and request_line_raw), so the view applies it.
func zeekUnescapeURI(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	unhex := func(c byte) (byte, bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteByte(hi<<4 | lo)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// zeekFields are the http.log columns compared, in report order.
var zeekFields = []string{"method", "host", "uri", "status_code", "request_body_len", "response_body_len", "user_agent", "referrer"}

// zeekKnownDisagreements explains every field on which spanlake knowingly
// differs from a Zeek baseline: baseline (relative path) + "|" + field →
// reason. A difference listed here still counts against the score; the
// table exists so that each one is understood.
var zeekKnownDisagreements = map[string]string{
	"zeek/Baseline/scripts.base.protocols.websocket.wstunnel-http/http.log":                     "Zeek parses HTTP carried inside WebSocket frames; spanlake stops at the 101 upgrade (tunnel bytes counted only)",
	"zeek/Baseline/scripts.base.protocols.http.http-09/http.log":                                "HTTP/0.9: Zeek logs an extra, empty row per 0.9 connection (its request message ends at close, after the exchange was logged); spanlake logs the real exchanges only",
	"zeek/Baseline/scripts.base.protocols.http.no-version/http.log":                             "request line without version (HTTP/0.9): Zeek logs an extra, empty row at close; spanlake one row",
	"zeek/Baseline/scripts.base.protocols.http.http-bad-request-with-version/http.log":          "malformed request line with a version: Zeek rejects the request (all '-'), spanlake is lenient and parses it",
	"zeek/Baseline/scripts.base.protocols.http.http-no-crlf/http.log":                           "Zeek counts 2 bytes more per request body. From the bytes: each multipart body is exactly its Content-Length (6084, ...), and its last line has no CRLF; Zeek's line-based body counting adds the CRLF it never saw (weird.log: line_terminated_without_CRLF). spanlake is right",
	"zeek/Baseline/scripts.base.protocols.ssh.http-port-22/http.log":                            "Zeek counts 2 bytes more in the response body. From the bytes: the response is 'HTTP/1.1 200 OK\\r\\n\\r\\n' and a close-delimited body of 12,630 bytes whose last line has no CRLF; Zeek adds the CRLF it never saw, as in http-no-crlf. spanlake is right",
	"zeek/Baseline/scripts.base.protocols.http.inner-transfer-encoding-reproducer/http.log.cut": "Zeek measures the MIME entity after applying an inner part's Transfer-Encoding; spanlake counts the HTTP body",
	"zeek/Baseline/scripts.base.protocols.http.inner-transfer-encoding-ossfuzz/http.log.cut":    "fuzzer-made stream: Zeek finds a 206 reply and a 2-byte body that spanlake's framing does not",
}

// spanlakeZeekView computes, for every exchange of a warehouse, the
// http.log fields Zeek would write, keyed by 4-tuple and trans_depth.
//
// request_body_len and response_body_len are Zeek's entity lengths: after
// transfer decoding AND after gzip/deflate content decoding. spanlake's
// body_bytes columns count before content decoding, so for a gzip/deflate
// body the comparison uses http_body.decoded_bytes (the test ingests with
// body limits large enough to keep every body whole). Zeek does not decode
// br or zstd, so those are compared on body_bytes.
func spanlakeZeekView(t *testing.T, wh string) map[string]zeekRow {
	facts := readTable[schema.FactHTTPExchange](t, wh, "fact_http_exchange")
	bodies := readTable[schema.HTTPBody](t, wh, "http_body")
	uas := map[int64]string{}
	for _, u := range readTable[schema.DimUserAgent](t, wh, "dim_user_agent") {
		uas[u.UserAgentKey] = rawOr(u.UserAgent, u.UserAgentRaw)
	}
	refs := map[int64]string{}
	for _, r := range readTable[schema.DimReferrer](t, wh, "dim_referrer") {
		refs[r.ReferrerKey] = rawOr(r.Referrer, r.ReferrerRaw)
	}
	decoded := map[string]int64{}
	for _, b := range bodies {
		ce := strings.ToLower(b.ContentEncoding)
		if b.DecodedBytes != nil && (strings.Contains(ce, "gzip") || strings.Contains(ce, "deflate")) {
			decoded[fmt.Sprint(b.ExchangeID, b.Direction)] = *b.DecodedBytes
		}
	}
	bodyLen := func(id int64, dir string, n int64) string {
		if d, ok := decoded[fmt.Sprint(id, dir)]; ok {
			n = d
		}
		return strconv.FormatInt(n, 10)
	}
	sort.SliceStable(facts, func(i, j int) bool { return facts[i].RequestTS < facts[j].RequestTS })
	view := map[string]zeekRow{}
	for _, f := range facts {
		key := fmt.Sprintf("%s|%d|%s|%d|%d", f.ClientIP, f.ClientPort, f.ServerIP, f.ServerPort, f.TransDepth)
		r := zeekRow{
			"method":            zeekString(f.Method, !f.RequestMissing),
			"host":              zeekString(f.Host, f.Host != ""),
			"uri":               zeekString(zeekUnescapeURI(rawURI(&f)), !f.RequestMissing),
			"status_code":       "-",
			"request_body_len":  bodyLen(f.ExchangeID, "request", f.RequestBodyBytes),
			"response_body_len": bodyLen(f.ExchangeID, "response", f.ResponseBodyBytes),
			"user_agent":        "-",
			"referrer":          "-",
		}
		if !f.ResponseMissing {
			r["status_code"] = strconv.Itoa(int(f.StatusCode))
		}
		if f.UserAgentKey != 0 {
			r["user_agent"] = zeekString(uas[f.UserAgentKey], true)
		}
		if f.ReferrerKey != 0 {
			r["referrer"] = zeekString(refs[f.ReferrerKey], true)
		}
		view[key] = r
		// Baselines cut to a few columns (zeek-cut) have no 4-tuple:
		// they match exchanges by trans_depth in time order.
		for n := 0; ; n++ {
			k := fmt.Sprintf("depth|%d|%d", f.TransDepth, n)
			if view[k] == nil {
				view[k] = r
				break
			}
		}
	}
	return view
}

func rawOr(s string, raw []byte) string {
	if raw != nil {
		return string(raw)
	}
	return s
}

// ingestCorpusCapture ingests one capture of the public corpus into wh
// with flags. Exit code 3 (a damaged capture, whose good packets were
// ingested) is accepted: several public captures end early on purpose.
func ingestCorpusCapture(t *testing.T, wh, capture string, flags ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := append([]string{"spanlake", "--log-level", "error", "ingest", "-w", wh}, flags...)
	if code := run(append(args, capture), &stdout, &stderr); code != 0 && code != 3 {
		t.Fatalf("ingest %s: exit code %d\n%s", capture, code, stderr.String())
	}
}

// publicCorpusRoot is the public corpus directory (the parent of its
// zeek/ folder), or skips the test when the corpus is absent.
func publicCorpusRoot(t *testing.T) string {
	t.Helper()
	dirs := zeekDirs
	if env := os.Getenv("SPANLAKE_PUBLIC_CORPUS"); env != "" {
		dirs = []string{filepath.Join(env, "zeek")}
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			return filepath.Dir(d)
		}
	}
	t.Skipf("public corpus not present (looked in %v)", dirs)
	return ""
}

func TestZeekConformance(t *testing.T) {
	root := publicCorpusRoot(t)
	cases := zeekCases(t, root)
	if len(cases) == 0 {
		t.Fatal("no Zeek http.log baselines found in MANIFEST.md")
	}
	var totalRows, matchedRows, totalFields, matchedFields int
	var report []string
	for _, c := range cases {
		wh := t.TempDir()
		for _, pcap := range c.captures {
			ingestCorpusCapture(t, wh, filepath.Join(root, pcap), "--request-body-limit", "67108864", "--response-body-limit", "67108864")
		}
		view := spanlakeZeekView(t, wh)
		rows := readZeekLog(t, filepath.Join(root, c.baseline))
		rowsOK, fieldsOK, fields := 0, 0, 0
		depthSeen := map[string]int{}
		for _, z := range rows {
			if _, ok := z["trans_depth"]; !ok {
				z["trans_depth"] = "1" // cut away: every such baseline has one exchange per connection
			}
			key := strings.Join([]string{z["id.orig_h"], z["id.orig_p"], z["id.resp_h"], z["id.resp_p"], z["trans_depth"]}, "|")
			if _, ok := z["id.orig_h"]; !ok {
				key = fmt.Sprintf("depth|%s|%d", z["trans_depth"], depthSeen[z["trans_depth"]])
				depthSeen[z["trans_depth"]]++
			}
			s := view[key]
			ok := s != nil
			for _, f := range zeekFields {
				want, present := z[f]
				if !present {
					continue // a .cut baseline without this column
				}
				fields++
				if s != nil && s[f] == want {
					fieldsOK++
					continue
				}
				ok = false
				got := "<no exchange>"
				if s != nil {
					got = s[f]
				}
				reason := zeekKnownDisagreements[c.baseline+"|"+f]
				if reason == "" {
					reason = zeekKnownDisagreements[c.baseline]
				}
				if reason == "" {
					reason = "UNEXPLAINED"
				}
				report = append(report, fmt.Sprintf("%s %s %s: zeek %q spanlake %q (%s)", c.baseline, key, f, want, got, reason))
			}
			if ok {
				rowsOK++
			}
		}
		t.Logf("%-95s rows %d/%d fields %d/%d", c.baseline, rowsOK, len(rows), fieldsOK, fields)
		totalRows += len(rows)
		matchedRows += rowsOK
		totalFields += fields
		matchedFields += fieldsOK
	}
	sort.Strings(report)
	for _, r := range report {
		t.Log(r)
	}
	rowScore := 100 * float64(matchedRows) / float64(max(totalRows, 1))
	fieldScore := 100 * float64(matchedFields) / float64(max(totalFields, 1))
	t.Logf("overall: %d baselines, rows %d/%d (%.2f%%), fields %d/%d (%.2f%%)",
		len(cases), matchedRows, totalRows, rowScore, matchedFields, totalFields, fieldScore)
	if fieldScore < zeekMinFieldScore {
		t.Errorf("field agreement %.2f%% below %.2f%%", fieldScore, zeekMinFieldScore)
	}
	if rowScore < zeekMinRowScore {
		t.Errorf("row agreement %.2f%% below %.2f%%", rowScore, zeekMinRowScore)
	}
}

// Thresholds of TestZeekConformance: what spanlake achieves today (see
// zeekKnownDisagreements for the remainder); raise them as it improves.
const (
	zeekMinRowScore   = 90.3 // 131/145 rows on 2026-11-25 (tunnels and link types decoded, Zeek's request-line leniency, Zeek's URI unescaping in the view)
	zeekMinFieldScore = 95.9 // 1025/1068 fields
)
