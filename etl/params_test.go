package etl

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// pv renders params compactly for comparison: source:name=value, with
// flags appended.
func pv(ps []param) []string {
	var out []string
	for _, p := range ps {
		s := p.Source + ":" + p.Name
		if p.HasValue {
			s += "=" + p.Value
		}
		if p.ValueTruncated {
			s += " [trunc]"
		}
		if p.IsPart {
			s += fmt.Sprintf(" {file=%q type=%q size=%d}", p.Filename, p.PartContentType, p.PartSize)
		}
		out = append(out, s)
	}
	return out
}

const mpBody = "--XyZ\r\n" +
	"Content-Disposition: form-data; name=\"name\"\r\n\r\n" +
	"value\r\n" +
	"--XyZ\r\n" +
	"Content-Disposition: form-data; name=\"file\"; filename=\"small.txt\"\r\n" +
	"Content-Type: text/plain\r\n\r\n" +
	"hello file\n\r\n" +
	"--XyZ--\r\n"

func TestExtractParams(t *testing.T) {
	long := strings.Repeat("é", 600) // 1200 bytes
	tests := []struct {
		name, target, ct, body string
		complete               bool
		want                   []string
	}{
		{name: "no query", target: "/a", want: nil},
		{name: "empty query", target: "/a?", want: nil},
		{name: "query", target: "/s?q=caf%C3%A9+au+lait&n=1&flag&empty=&&x=%zz", complete: true,
			want: []string{"query:q=café au lait", "query:n=1", "query:flag", "query:empty=", "query:x=%zz"}},
		{name: "query fragment dropped", target: "/a?b=1#frag", want: []string{"query:b=1"}},
		{name: "query keeps '=' in value", target: "/a?b=c=d", want: []string{"query:b=c=d"}},
		{name: "semicolon is not a separator", target: "/a?b=1;c=2", want: []string{"query:b=1;c=2"}},
		{name: "long value capped at rune boundary", target: "/a?v=" + long,
			want: []string{"query:v=" + strings.Repeat("é", 512) + " [trunc]"}},
		{name: "form", target: "/form", ct: "application/x-www-form-urlencoded", body: "user=alice&comment=hello+world", complete: true,
			want: []string{"form:user=alice", "form:comment=hello world"}},
		{name: "form and query", target: "/form?debug=1", ct: "application/x-www-form-urlencoded; charset=utf-8", body: "a=1", complete: true,
			want: []string{"query:debug=1", "form:a=1"}},
		{name: "form truncated: last pair flagged", target: "/f", ct: "application/x-www-form-urlencoded", body: "a=1&b=tru",
			want: []string{"form:a=1", "form:b=tru [trunc]"}},
		{name: "form with broken content-type params", target: "/f", ct: "application/x-www-form-urlencoded; =;;", body: "a=1", complete: true,
			want: []string{"form:a=1"}},
		{name: "unknown content type: no body params", target: "/f", ct: "text/plain", body: "a=1", complete: true},
		{name: "multipart", target: "/upload", ct: `multipart/form-data; boundary=XyZ`, body: mpBody, complete: true,
			want: []string{`multipart:name=value {file="" type="" size=5}`, `multipart:file {file="small.txt" type="text/plain" size=11}`}},
		// mime/multipart holds back the bytes that could begin a
		// boundary, so a cut part reports fewer bytes than were captured.
		{name: "multipart truncated mid-part", target: "/upload", ct: `multipart/form-data; boundary=XyZ`, body: mpBody[:len(mpBody)-20],
			want: []string{`multipart:name=value {file="" type="" size=5}`, `multipart:file [trunc] {file="small.txt" type="text/plain" size=2}`}},
		{name: "multipart without boundary", target: "/upload", ct: `multipart/form-data`, body: mpBody},
		{name: "multipart wrong boundary", target: "/upload", ct: `multipart/form-data; boundary=nope`, body: mpBody},
		{name: "multipart garbage", target: "/upload", ct: `multipart/form-data; boundary=XyZ`, body: "--XyZ\r\nno header end"},
		{name: "json", target: "/api", ct: "application/json", body: `{"id":7,"tags":["a", "b"],"s":"x\u00e9","n":null,"o":{"k": [1,2,3]},"f":1.5e3,"b":true}`, complete: true,
			want: []string{"json:id=7", `json:tags=["a","b"]`, "json:s=xé", "json:n", `json:o={"k":[1,2,3]}`, "json:f=1.5e3", "json:b=true"}},
		{name: "json vendor type", target: "/api", ct: "application/vnd.api+json", body: `{"a":"b"}`, want: []string{"json:a=b"}},
		{name: "json truncated: complete fields kept", target: "/api", ct: "application/json", body: `{"a":1,"b":{"c":`,
			want: []string{"json:a=1"}},
		{name: "json array: no params", target: "/api", ct: "application/json", body: `[1,2]`},
		{name: "json garbage", target: "/api", ct: "application/json", body: `{"a" 1}`},
		{name: "json duplicate keys kept", target: "/api", ct: "application/json", body: `{"a":1,"a":2}`, want: []string{"json:a=1", "json:a=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pv(extractParams(tt.target, tt.ct, []byte(tt.body), tt.complete))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestExtractParamsBounded(t *testing.T) {
	q := "/a?" + strings.Repeat("x=1&", 100_000)
	if n := len(extractParams(q, "", nil, true)); n != maxParamsPerSrc {
		t.Errorf("%d query params kept, want %d", n, maxParamsPerSrc)
	}
	var mp bytes.Buffer
	for range 5000 {
		mp.WriteString("--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n")
	}
	mp.WriteString("--B--\r\n")
	if n := len(extractParams("/", "multipart/form-data; boundary=B", mp.Bytes(), true)); n != maxMultipartParts {
		t.Errorf("%d parts kept, want %d", n, maxMultipartParts)
	}
}

func FuzzParams(f *testing.F) {
	f.Add("/a?b=c&d=%zz&e", "application/x-www-form-urlencoded", []byte("user=alice&comment=hello+world"), true)
	f.Add("/upload", "multipart/form-data; boundary=XyZ", []byte(mpBody), true)
	f.Add("/upload", "multipart/form-data; boundary=XyZ", []byte(mpBody[:40]), false)
	f.Add("/api", "application/json", []byte(`{"id":7,"tags":["a","b"],"n":{"k":[1]}}`), true)
	f.Add("/api", "application/json", []byte(`{"a":"\xff"`), false)
	f.Fuzz(func(t *testing.T, target, ct string, body []byte, complete bool) {
		ps := extractParams(target, ct, body, complete)
		counts := map[string]int{}
		for _, p := range ps {
			counts[p.Source]++
			if len(p.Value) > maxParamValue {
				t.Fatalf("value of %d bytes kept", len(p.Value))
			}
			r := paramRow(detailBase{}, 0, p)
			if !utf8.ValidString(r.Name) || !utf8.ValidString(r.Value) || !utf8.ValidString(r.Filename) {
				t.Fatalf("row strings not UTF-8: %+v", r)
			}
			// A value that is not UTF-8 (a JSON array holding a bad byte,
			// testdata/fuzz/FuzzParams/5fda454439198d3e) keeps its exact
			// bytes in value_raw: nothing is lost.
			if p.HasValue && !utf8.ValidString(p.Value) && string(r.ValueRaw) != p.Value {
				t.Fatalf("value %q stored as %q without its raw bytes", p.Value, r.Value)
			}
		}
		for src, n := range counts {
			if n > maxParamsPerSrc {
				t.Fatalf("%d %s params", n, src)
			}
		}
	})
}
