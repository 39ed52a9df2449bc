package etl

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/spanlake/spanlake/schema"
)

func TestRedact(t *testing.T) {
	p := &Privacy{Key: []byte("0123456789abcdef0123456789abcdef"), SecretNames: DefaultSecretNames()}
	tok := p.token("hunter2")
	fact := schema.FactHTTPExchange{RequestLine: "GET /login?user=bob&password=hunter2&x=1 HTTP/1.1",
		URI: "/login?user=bob&password=hunter2&x=1", Query: "user=bob&password=hunter2&x=1"}
	d := detailRows{
		headers: []headerBlock{{Request: 3, Names: []string{"Cookie", "Authorization", "Host"}, Values: []string{"sid=abc; theme=dark", "Bearer xyz", "a"}}},
		params:  []schema.HTTPParam{{Source: "form", Name: "Password", Value: "hunter2", HasValue: true}, {Source: "form", Name: "user", Value: "bob", HasValue: true}},
		bodies:  []schema.HTTPBody{{Direction: "request", Body: []byte("user=bob&Password=hunter2"), SHA256: "x"}},
	}
	p.redactDetail(&d)
	p.redactFact(&fact)
	if want := "GET /login?user=bob&password=" + tok + "&x=1 HTTP/1.1"; fact.RequestLine != want {
		t.Errorf("request line %q, want %q", fact.RequestLine, want)
	}
	if !strings.HasPrefix(fact.URI, "/login?user=bob&password=hmac-sha256:") || strings.Contains(fact.Query, "hunter2") {
		t.Errorf("uri %q query %q", fact.URI, fact.Query)
	}
	hv := d.headers[0].Values
	if h := hv[0]; !strings.HasPrefix(h, "sid=hmac-sha256:") || !strings.Contains(h, "; theme=hmac-sha256:") {
		t.Errorf("cookie %q", h)
	}
	if h := hv[1]; !strings.HasPrefix(h, "Bearer hmac-sha256:") || hv[2] != "a" {
		t.Errorf("headers %+v", d.headers)
	}
	if d.params[0].Value != tok || d.params[1].Value != "bob" {
		t.Errorf("params %+v", d.params)
	}
	if b := d.bodies[0]; b.Body != nil || !b.Redacted || b.SHA256 != "" {
		t.Errorf("body kept: %+v", b)
	}
	// Keep: nothing changes.
	keep := &Privacy{Keep: true}
	f2 := schema.FactHTTPExchange{Query: "password=x", URI: "/?password=x"}
	keep.redactDetail(&detailRows{})
	keep.redactFact(&f2)
	if f2.URI != "/?password=x" {
		t.Error("Keep redacted")
	}
}

// TestTokenIsTruncatedHMAC: a token is the first 128 bits of
// HMAC-SHA256(key, value) in hex, computed independently here; MACs taken
// from the pool concurrently, and under different keys, do not mix.
func TestTokenIsTruncatedHMAC(t *testing.T) {
	want := func(key, v string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(v))
		return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil)[:16])
	}
	keys := []string{"0123456789abcdef0123456789abcdef", "another key"}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := keys[g%2]
			p := &Privacy{Key: []byte(key)}
			for i := range 200 {
				v := fmt.Sprintf("secret-%d-%d", g, i)
				if got, w := p.token(v), want(key, v); got != w {
					errs <- fmt.Sprintf("key %q value %q: %s, want %s", key, v, got, w)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSecretHeaderMatchesNameLower: the quick check of secretHeader says
// what looking up the line's name_lower says, for every spelling tried:
// common names, case variants, near misses, a Kelvin sign (which
// lower-cases to k) and bytes that are not UTF-8.
func TestSecretHeaderMatchesNameLower(t *testing.T) {
	names := []string{"Cookie", "COOKIE", "cookie", "cookie2", "Cookies", "Set-Cookie", "set-cookie", "SET-COOKIE",
		"Authorization", "authorization", "AUTHORIZATION", "X-Authorization", "Authorization ", "Proxy-Authorization",
		"proxy-authorization", "Proxy-Authorisation", "set-coo\u212Aie", "Coo\u212Aie", "cook\xffe", "\xff", ""}
	for n := range commonLower {
		names = append(names, n)
	}
	for _, n := range names {
		hb := headerBlock{Names: []string{n}, Values: []string{"v"}}
		lower, ok := secretHeader(&hb, 0)
		want := hb.nameLower(0)
		if ok != secretHeaders[want] || (ok && lower != want) {
			t.Errorf("%q: secretHeader says %q %v, name_lower %q (secret %v)", n, lower, ok, want, secretHeaders[want])
		}
	}
}
