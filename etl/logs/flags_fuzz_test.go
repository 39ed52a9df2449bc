package logs

import (
	"strings"
	"testing"
)

// FuzzSelectionFlags: the parsers of --client, --trusted-proxies, --status,
// --client-ip and --split-by take arbitrary text without panicking, and
// what they accept is well-formed.
func FuzzSelectionFlags(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "fd00::/8,192.168.1.1", "404", "5xx", "400-499", "000", "x-forwarded-for", "vhost,day", "", "1.2.3.4/33", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		list := strings.Split(s, ",")
		if ps, err := ParsePrefixes(list); err == nil {
			for _, p := range ps {
				if !p.IsValid() {
					t.Fatalf("accepted invalid prefix %v from %q", p, s)
				}
			}
		}
		if rs, err := ParseStatus(list); err == nil && len(rs) == 0 && strings.TrimSpace(s) != "" {
			t.Logf("%q accepted as no status range", s)
		}
		ParseClientIPSource(s)
		ParseSplit(list)
	})
}
