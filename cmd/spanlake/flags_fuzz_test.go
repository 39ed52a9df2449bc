package main

import (
	"testing"
	"time"
)

// FuzzParseTime: --from/--to parsing never panics, and an accepted value
// round-trips through RFC 3339.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-24", "2026-11-24T13:00:00Z", "2026-11-24T13:00:00.123456+01:00", "", "yesterday", "2026-13-45", "9999-12-31T23:59:59Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := parseTime(s, time.UTC)
		if err != nil || ts.IsZero() {
			return
		}
		back, err := time.Parse(time.RFC3339Nano, ts.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(ts) {
			t.Fatalf("%q parsed as %v, which does not round-trip (%v)", s, ts, err)
		}
	})
}
