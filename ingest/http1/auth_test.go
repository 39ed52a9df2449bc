package http1

import "testing"

func TestBasicAuthUser(t *testing.T) {
	for _, tc := range []struct {
		header string
		user   string
		ok     bool
	}{
		{"Basic YWxpY2U6c2VjcmV0", "alice", true},                 // alice:secret
		{"basic YWxpY2U6c2VjcmV0", "alice", true},                 // scheme is case-insensitive
		{"Basic YWxpY2U6c2VjcmV0OndpdGg6Y29sb25z", "alice", true}, // alice:secret:with:colons
		{"Basic Ym9iOg", "bob", true},                             // bob: without padding
		{"Basic OnB3", "", true},                                  // ":pw": empty user
		{"Basic bm9jb2xvbg==", "", false},                         // "nocolon"
		{"Basic !!!", "", false},
		{"Bearer YWxpY2U6c2VjcmV0", "", false},
		{"", "", false},
	} {
		q := &Request{}
		if tc.header != "" {
			q.Headers = []Header{{"authorization", tc.header}}
		}
		user, ok := BasicAuthUser(q)
		if user != tc.user || ok != tc.ok {
			t.Errorf("%q: got %q %v, want %q %v", tc.header, user, ok, tc.user, tc.ok)
		}
	}
	if _, ok := BasicAuthUser(nil); ok {
		t.Error("nil request")
	}
}
