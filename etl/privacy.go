package etl

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/spanlake/spanlake/schema"
)

// Privacy decides what of a secret the warehouse keeps. By default
// credentials and secret parameters are stored as a keyed hash: the same
// secret gives the same token (so sessions can still be followed and
// joined), but the token cannot be reversed or brute-forced without the
// key, which never leaves the state directory.
type Privacy struct {
	// Keep stores secrets as they were (--keep-secrets).
	Keep bool
	// Key is the HMAC key (see LoadOrCreateKey).
	Key []byte
	// SecretNames are lower-case substrings: a parameter whose lower-case
	// name contains one is secret.
	SecretNames []string
}

// DefaultSecretNames are the parameter-name fragments treated as secret.
func DefaultSecretNames() []string {
	return []string{"password", "passwd", "pwd", "token", "secret", "apikey", "api_key", "session", "credential", "auth"}
}

// secretHeaders are hashed whatever their parameters.
var secretHeaders = map[string]bool{"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true}

const keyFile = "secret.key"

// LoadOrCreateKey returns the HMAC key kept in stateDir, creating it (32
// random bytes, mode 0600) on first use.
func LoadOrCreateKey(stateDir string) ([]byte, error) {
	p := filepath.Join(stateDir, keyFile)
	key, err := os.ReadFile(p)
	if err == nil {
		if len(key) < 16 {
			return nil, fmt.Errorf("key file %s is too short (%d bytes)", p, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read key %s: %w", p, err)
	}
	if err := os.MkdirAll(stateDir, 0o750); err != nil {
		return nil, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create key %s: %w", p, err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

// tokenPrefix starts every stored keyed hash.
const tokenPrefix = "hmac-sha256:"

// macPools holds a pool of HMAC-SHA256 states per key (string(key) ->
// *sync.Pool). hmac.New hashes the key into both pads each time it is
// called (two SHA-256 blocks and several allocations); on API traffic,
// with an Authorization header in every request, that was 2.5 % of a
// run. A reset MAC starts again from the pads it saved.
var macPools sync.Map

// macPool returns the pool of MACs keyed with key.
func macPool(key []byte) *sync.Pool {
	if p, ok := macPools.Load(string(key)); ok {
		return p.(*sync.Pool)
	}
	k := bytes.Clone(key)
	p, _ := macPools.LoadOrStore(string(k), &sync.Pool{New: func() any { return hmac.New(sha256.New, k) }})
	return p.(*sync.Pool)
}

// token is the stored form of a secret value: its HMAC-SHA256 under
// p.Key, 128 bits in hex.
func (p *Privacy) token(v string) string {
	pool := macPool(p.Key)
	m := pool.Get().(hash.Hash)
	m.Reset()
	io.WriteString(m, v)
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	pool.Put(m)
	var out [len(tokenPrefix) + 32]byte
	copy(out[:], tokenPrefix)
	hex.Encode(out[len(tokenPrefix):], sum[:16])
	return string(out[:])
}

func (p *Privacy) secretName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range p.SecretNames {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// headerValue redacts the value of a secret header: the authorization
// scheme and cookie names are kept, credentials and cookie values hashed.
func (p *Privacy) headerValue(lowerName, v string) string {
	switch lowerName {
	case "authorization", "proxy-authorization":
		if scheme, cred, ok := strings.Cut(v, " "); ok {
			return scheme + " " + p.token(strings.TrimSpace(cred))
		}
		return p.token(v)
	case "cookie":
		parts := strings.Split(v, ";")
		for i, c := range parts {
			name, val, ok := strings.Cut(c, "=")
			if ok {
				parts[i] = name + "=" + p.token(val)
			} else {
				parts[i] = p.token(c)
			}
		}
		return strings.Join(parts, ";")
	case "set-cookie":
		first, attrs, _ := strings.Cut(v, ";")
		name, val, ok := strings.Cut(first, "=")
		red := p.token(first)
		if ok {
			red = name + "=" + p.token(val)
		}
		if attrs != "" {
			return red + ";" + attrs
		}
		return red
	}
	return v
}

// query redacts the values of secret parameters in a raw query string,
// keeping everything else byte for byte.
func (p *Privacy) query(q string) (string, bool) {
	parts := strings.Split(q, "&")
	changed := false
	for i, kv := range parts {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if p.secretName(name) {
			parts[i] = k + "=" + p.token(v)
			changed = true
		}
	}
	return strings.Join(parts, "&"), changed
}

// secretHeader reports whether line i of hb is a secret header, and its
// lower-case name. An ASCII name (nearly all) is compared by length and
// case-insensitively against the few secret names, without lowering it
// and looking it up for each of an exchange's ~20 lines; any other name
// goes the long way, as its name_lower is made.
func secretHeader(hb *headerBlock, i int) (string, bool) {
	name := hb.Names[i]
	for j := 0; j < len(name); j++ {
		if name[j] >= utf8.RuneSelf {
			lower := hb.nameLower(i)
			return lower, secretHeaders[lower]
		}
	}
	var s string
	switch len(name) {
	case len("cookie"):
		s = "cookie"
	case len("set-cookie"):
		s = "set-cookie"
	case len("authorization"):
		s = "authorization"
	case len("proxy-authorization"):
		s = "proxy-authorization"
	default:
		return "", false
	}
	return s, strings.EqualFold(name, s)
}

// redactDetail applies the policy to the detail rows of one exchange. It
// is safe for concurrent use (Warehouse.Prepare runs it on ingest's
// shards).
func (p *Privacy) redactDetail(d *detailRows) {
	if p == nil || p.Keep {
		return
	}
	for i := range d.headers {
		hb := &d.headers[i]
		for j := range hb.Values {
			if lower, ok := secretHeader(hb, j); ok {
				v, _ := text(hb.Values[j])
				hb.Values[j] = p.headerValue(lower, v)
			}
		}
	}
	bodySecret := false
	for i := range d.params {
		r := &d.params[i]
		if p.secretName(r.Name) && r.HasValue {
			r.Value, r.ValueRaw = p.token(r.Value), nil
			if r.Source != "query" {
				bodySecret = true
			}
		}
	}
	if bodySecret {
		for i := range d.bodies {
			if b := &d.bodies[i]; b.Direction == "request" {
				b.Body, b.SHA256, b.SHA256Decoded, b.Redacted = nil, "", "", true
			}
		}
	}
}

// redactFact applies the policy to an exchange's fact row.
func (p *Privacy) redactFact(fact *schema.FactHTTPExchange) {
	if p == nil || p.Keep {
		return
	}
	if fact.Query != "" {
		if q, changed := p.query(fact.Query); changed {
			fact.RequestLine = strings.Replace(fact.RequestLine, "?"+fact.Query, "?"+q, 1)
			fact.RequestLineRaw = nil
			fact.URI = strings.Replace(fact.URI, "?"+fact.Query, "?"+q, 1)
			fact.Query = q
		}
	}
}
