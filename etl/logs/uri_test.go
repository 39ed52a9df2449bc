package logs

import "testing"

func TestNormalizedURI(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/", "/"},
		{"/index.html?x=1", "/index.html"},
		{"/a//b///c", "/a/b/c"},
		{"/a/./b/../c", "/a/c"},
		{"/a/b/", "/a/b/"},
		{"/../../etc/passwd", "/etc/passwd"},
		{"/search%20me/%E2%9C%93", "/search me/\u2713"},
		{"/bad%zzescape", "/bad%zzescape"},
		{"http://example.com/x/../y?z", "/y"},
		{"http://example.com", "/"},
		{"/a/b/..", "/a/"},
	} {
		if got := normalizedURI(c.in); got != c.want {
			t.Errorf("normalizedURI(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
