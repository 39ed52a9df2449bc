package etl

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Limits of parameter extraction: request targets and bodies are
// attacker-controlled, so both the number of parameters and the stored
// length of each value are bounded.
const (
	maxParamValue     = 1 << 10 // bytes of a value kept in http_param.value
	maxParamsPerSrc   = 1000    // parameters kept per source of one request
	maxMultipartParts = 1000
)

// param is one extracted request parameter.
type param struct {
	Source          string // "query", "form", "multipart", "json"
	Name            string
	Value           string
	HasValue        bool // false for a bare query/form key and for multipart file parts
	ValueTruncated  bool
	Filename        string
	PartContentType string
	PartSize        int64
	IsPart          bool // a multipart part (Filename, PartContentType, PartSize apply)
}

// extractParams returns the parameters of a request: the query of target,
// then those of body according to contentType (urlencoded form, multipart
// form data, or a JSON object). body is the captured, content-decoded
// request body; complete says it is the whole body. Nothing here fails:
// malformed input yields the parameters that could be read.
func extractParams(target, contentType string, body []byte, complete bool) []param {
	var out []param
	if _, q, ok := strings.Cut(target, "?"); ok {
		q, _, _ = strings.Cut(q, "#")
		out = appendURLEncoded(out, "query", q, true)
	}
	if len(body) == 0 {
		return out
	}
	media, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		// Lenient like servers: a broken parameter list still names
		// the media type.
		media, _, _ = strings.Cut(contentType, ";")
		media = strings.ToLower(strings.TrimSpace(media))
	}
	switch {
	case media == "application/x-www-form-urlencoded":
		out = appendURLEncoded(out, "form", string(body), complete)
	case media == "multipart/form-data":
		if b := params["boundary"]; b != "" {
			out = appendMultipart(out, body, b)
		}
	case media == "application/json" || strings.HasSuffix(media, "+json"):
		out = appendJSON(out, body)
	}
	return out
}

// appendURLEncoded splits s on '&' into name=value pairs and percent-
// decodes them ('+' is a space). A pair with a bad escape keeps its raw
// text. When complete is false the last pair may have been cut, and is
// marked value_truncated.
func appendURLEncoded(out []param, source, s string, complete bool) []param {
	n := 0
	for s != "" && n < maxParamsPerSrc {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		name, value, hasValue := strings.Cut(pair, "=")
		p := param{Source: source, Name: unescapeLenient(name), HasValue: hasValue}
		if hasValue {
			p.Value, p.ValueTruncated = capValue(unescapeLenient(value))
		}
		if s == "" && !complete {
			p.ValueTruncated = true
		}
		out = append(out, p)
		n++
	}
	return out
}

func unescapeLenient(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// capValue cuts s to maxParamValue bytes, backing off to a rune boundary
// when s is valid UTF-8 (so a cut never makes a value invalid).
func capValue(s string) (string, bool) {
	if len(s) <= maxParamValue {
		return s, false
	}
	cut := maxParamValue
	if utf8.ValidString(s) {
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut], true
}

// appendMultipart reads the parts of a multipart/form-data body. A body
// cut short (capture limit) yields every complete part and the part that
// was being read, marked value_truncated.
func appendMultipart(out []param, body []byte, boundary string) []param {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for i := 0; i < maxMultipartParts; i++ {
		// NextRawPart: keep the bytes as sent (no quoted-printable
		// decoding).
		part, err := mr.NextRawPart()
		if err != nil {
			return out
		}
		p := param{Source: "multipart", Name: part.FormName(), IsPart: true,
			Filename: part.FileName(), PartContentType: part.Header.Get("Content-Type")}
		var head bytes.Buffer
		n, err := io.Copy(&head, io.LimitReader(part, maxParamValue+1))
		if err == nil && n > maxParamValue {
			var m int64
			m, err = io.Copy(io.Discard, part)
			n += m
		}
		p.PartSize = n
		if p.Filename == "" {
			p.HasValue = true
			p.Value, p.ValueTruncated = capValue(head.String())
		}
		if err != nil {
			p.ValueTruncated = true
			return append(out, p)
		}
		out = append(out, p)
	}
	return out
}
