package etl

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// appendJSONDecoder is the json.Decoder walk appendJSON replaced, kept as
// the oracle of FuzzJSONParams.
func appendJSONDecoder(out []param, body []byte) []param {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return out
	}
	for n := 0; dec.More() && n < maxParamsPerSrc; n++ {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		name, ok := tok.(string)
		if !ok {
			return out
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return out
		}
		p := param{Source: "json", Name: name, HasValue: true}
		var s string
		if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			p.Value, p.ValueTruncated = capValue(s)
		} else if raw[0] == 'n' {
			p.HasValue = false // JSON null
		} else {
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil && !errors.Is(err, io.EOF) {
				buf.Reset()
				buf.Write(raw)
			}
			p.Value, p.ValueTruncated = capValue(buf.String())
		}
		out = append(out, p)
	}
	return out
}

// FuzzJSONParams: appendJSON gives the fields json.Decoder gives, on any
// body, except that the decoder may take one more, last field whose value
// is the prefix of a number or literal that is cut by the end of the body
// ("12" of a body ending inside "1234") or malformed ("0" of "01"):
// appendJSON stops before such a field instead.
func FuzzJSONParams(f *testing.F) {
	for _, s := range []string{
		`{"id":7,"tags":["a", "b"],"s":"x\u00e9","n":null,"o":{"k": [1,2,3]},"f":1.5e3,"b":true}`,
		`{"a":1,"b":{"c":`, `[1,2]`, `{"a" 1}`, `{"a":1,"a":2}`, `{"a":1,}`, `{}`, ` { "a" : "b" } `,
		`{"a":"\xff"}`, `{"\xfe":1}`, `{"a":"\q"}`, "{\"a\":\"x\ty\"}", `{"a":12`, `{"a":tru}`, `{"a":01}`,
		`{"a":{"b":"}"},"c":[{"d":"]"}]}`, `{"a":"\"}"}`, `{"a":-0.5E+3 ,"b":false}`, `{"a":nul}`, `{"a":null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, want := appendJSON(nil, body), appendJSONDecoder(nil, body)
		if reflect.DeepEqual(got, want) {
			return
		}
		if len(want) == len(got)+1 && (len(got) == 0 || reflect.DeepEqual(got, want[:len(got)])) {
			if last := want[len(want)-1]; !last.HasValue || (last.Value != "" && !strings.ContainsAny(last.Value[:1], `"{[`)) {
				return // a number or literal, cut or malformed
			}
		}
		t.Fatalf("body %q:\n got %+v\nwant %+v", body, got, want)
	})
}

// TestJSONParamsCutNumber: a number the body ends inside is not taken
// (it may be the start of a longer one); one followed by more is.
func TestJSONParamsCutNumber(t *testing.T) {
	if ps := appendJSON(nil, []byte(`{"a":1,"b":12`)); len(ps) != 1 || ps[0].Name != "a" || ps[0].Value != "1" {
		t.Errorf("cut body: %+v", ps)
	}
	if ps := appendJSON(nil, []byte(`{"a":1,"b":12}`)); len(ps) != 2 || ps[1].Value != "12" {
		t.Errorf("whole body: %+v", ps)
	}
}

var _ = []any{bytes.NewReader, errors.Is, io.EOF, json.Valid}
