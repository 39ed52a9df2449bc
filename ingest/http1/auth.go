package http1

import (
	"encoding/base64"
	"strings"
)

// BasicAuthUser returns the user name of an "Authorization: Basic" request
// header. The password is never returned, so it cannot leak into the
// warehouse. ok is false when there is no such header or it does not decode
// to "user:password".
func BasicAuthUser(r *Request) (user string, ok bool) {
	if r == nil {
		return "", false
	}
	v, found := r.Get("Authorization")
	if !found {
		return "", false
	}
	const prefix = "Basic "
	if len(v) < len(prefix) || !equalFold(v[:len(prefix)], prefix) {
		return "", false
	}
	enc := strings.TrimSpace(v[len(prefix):])
	dec, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		// Some clients drop the padding.
		if dec, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(enc, "=")); err != nil {
			return "", false
		}
	}
	user, _, ok = strings.Cut(string(dec), ":")
	if !ok {
		return "", false
	}
	return user, true
}
