package etl

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// appendJSON lists the top-level fields of a JSON object body, strings as
// their text and every other value as compact JSON. A body cut short, or
// malformed, yields the fields that were complete before it.
//
// It finds each field's extent with a small scanner and has
// encoding/json validate and decode only that value: walking the body
// with json.Decoder's Token and Decode allocated at every token and made
// this two thirds of the cost of a JSON POST's detail rows
// (BenchmarkExchangeRows/detail). The result is the decoder's, field for
// field (FuzzJSONParams compares the two on any input), with one
// deliberate difference: a number or literal that runs to the end of a
// body cut short is not a field (the decoder took "12" from a body cut
// inside "1234").
func appendJSON(out []param, body []byte) []param {
	i := skipJSONSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return out
	}
	i++
	for n := 0; n < maxParamsPerSrc; n++ {
		i = skipJSONSpace(body, i)
		if i >= len(body) || (n == 0 && body[i] == '}') {
			return out
		}
		if n > 0 { // after a field: a comma, or the end of the object
			if body[i] != ',' {
				return out
			}
			i = skipJSONSpace(body, i+1)
		}
		// The name: a string, then a colon.
		end := jsonValueEnd(body, i)
		if end < 0 || body[i] != '"' {
			return out
		}
		name, ok := jsonString(body[i:end])
		if !ok {
			return out
		}
		i = skipJSONSpace(body, end)
		if i >= len(body) || body[i] != ':' {
			return out
		}
		i = skipJSONSpace(body, i+1)
		// The value.
		end = jsonValueEnd(body, i)
		if end < 0 {
			return out
		}
		raw := body[i:end]
		i = end
		p := param{Source: "json", Name: name, HasValue: true}
		switch raw[0] {
		case '"':
			s, ok := jsonString(raw)
			if !ok {
				return out
			}
			p.Value, p.ValueTruncated = capValue(s)
		case 'n':
			if string(raw) != "null" {
				return out
			}
			p.HasValue = false // JSON null
		default:
			if !json.Valid(raw) {
				return out
			}
			if bytes.ContainsAny(raw, " \t\r\n") {
				var buf bytes.Buffer
				json.Compact(&buf, raw)
				raw = buf.Bytes()
			}
			p.Value, p.ValueTruncated = capValue(string(raw))
		}
		out = append(out, p)
	}
	return out
}

// skipJSONSpace returns the index of the first byte at or after i that is
// not JSON white space.
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// jsonValueEnd returns the index just past the JSON value that starts at
// b[i] (strings, objects and arrays by their delimiters, other values up
// to the next delimiter or space), or -1 when it does not end within b. It
// finds the extent only; what is inside is validated by the caller.
func jsonValueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end := jsonValueEnd(b, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && !jsonDelimiter(b[j]) {
		j++
	}
	if j == i || j == len(b) { // no value; or one that may go on past what was captured
		return -1
	}
	return j
}

// jsonDelimiter reports whether c ends a number or literal.
func jsonDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// jsonString decodes a JSON string token (quotes included) as
// encoding/json does: escapes resolved, invalid UTF-8 replaced by U+FFFD.
func jsonString(raw []byte) (string, bool) {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) && !hasControl(inner) {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// hasControl reports whether b holds a byte below 0x20, which a JSON
// string may not hold unescaped.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}
