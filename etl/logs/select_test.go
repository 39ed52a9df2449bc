package logs

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestParseStatus(t *testing.T) {
	got, err := ParseStatus([]string{"404", "5xx,400-403", " 000 "})
	if err != nil {
		t.Fatal(err)
	}
	want := []StatusRange{{404, 404}, {500, 599}, {400, 403}, {0, 0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"abc", "4xx5", "500-400", "1000", "-1", "0xx", "400-"} {
		if _, err := ParseStatus([]string{bad}); err == nil {
			t.Errorf("ParseStatus(%q) succeeded", bad)
		}
	}
}

func TestFilter(t *testing.T) {
	recs := map[string]Record{}
	for _, tr := range testRecords() {
		recs[tr.name] = tr.rec
	}
	mustPrefixes := func(s ...string) []netip.Prefix {
		p, err := ParsePrefixes(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name   string
		filter Filter
		want   []string // names selected, in testRecords order
	}{
		{"empty selects all", Filter{}, []string{"basic", "no-response", "hostile", "ipv6-xff"}},
		{"status 404", Filter{Status: []StatusRange{{404, 404}}}, []string{"ipv6-xff"}},
		{"status 4xx", Filter{Status: []StatusRange{{400, 499}}}, []string{"hostile", "ipv6-xff"}},
		{"status 000", Filter{Status: []StatusRange{{0, 0}}}, []string{"no-response"}},
		{"status 2xx or 000", Filter{Status: []StatusRange{{200, 299}, {0, 0}}}, []string{"basic", "no-response"}},
		{"vhost normalised", Filter{Vhosts: []string{"www.EXAMPLE.com."}}, []string{"basic"}},
		{"vhost with port", Filter{Vhosts: []string{"www.example.com:443"}}, []string{"basic"}},
		{"vhost wildcard", Filter{Vhosts: []string{"*.example.com"}}, []string{"basic"}},
		{"vhost wildcard excludes apex", Filter{Vhosts: []string{"*.www.example.com"}}, nil},
		{"vhost none", Filter{Vhosts: []string{""}}, []string{"no-response"}},
		{"vhost ipv6 literal", Filter{Vhosts: []string{"[FD99::1]"}}, []string{"ipv6-xff"}},
		{"client /24", Filter{Clients: mustPrefixes("192.0.2.0/24")}, []string{"basic", "no-response", "hostile"}},
		{"client single", Filter{Clients: mustPrefixes("192.0.2.11")}, []string{"no-response"}},
		{"client v6", Filter{Clients: mustPrefixes("fd99::/16")}, []string{"ipv6-xff"}},
		{"client list", Filter{Clients: mustPrefixes("192.0.2.10/32,fd99::2/128")}, []string{"basic", "ipv6-xff"}},
		{"combined", Filter{Clients: mustPrefixes("192.0.2.0/24"), Status: []StatusRange{{400, 599}}}, []string{"hostile"}},
	} {
		var got []string
		for _, tr := range testRecords() {
			if tc.filter.Match(&tr.rec) {
				got = append(got, tr.name)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: selected %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, err := ParsePrefixes([]string{"10.0.0.0/33"}); err == nil {
		t.Error("ParsePrefixes accepted /33")
	}
	// A client resolved from X-Forwarded-For is what --client matches.
	r := recs["ipv6-xff"]
	r.RemoteIP = "203.0.113.7"
	if !(&Filter{Clients: mustPrefixes("203.0.113.0/24")}).Match(&r) {
		t.Error("--client does not match the resolved client address")
	}
}

func TestClientIPResolve(t *testing.T) {
	pfx := func(s ...string) []netip.Prefix {
		p, err := ParsePrefixes(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	lb := pfx("10.0.0.0/8")
	for _, tc := range []struct {
		name    string
		peer    string
		xff     string
		fwd     string
		source  ClientIPSource
		trusted []netip.Prefix
		want    string
	}{
		{"peer mode ignores header", "10.0.0.1", "203.0.113.7", "", ClientPeer, lb, "10.0.0.1"},
		{"single hop", "10.0.0.1", "203.0.113.7", "", ClientXForwardedFor, lb, "203.0.113.7"},
		{"untrusted peer: header ignored", "198.51.100.9", "203.0.113.7", "", ClientXForwardedFor, lb, "198.51.100.9"},
		{"skip trusted from the right", "10.0.0.1", "203.0.113.7, 10.2.3.4, 10.9.9.9", "", ClientXForwardedFor, lb, "203.0.113.7"},
		{"spoofed left part not believed", "10.0.0.1", "1.2.3.4, 203.0.113.7, 10.2.3.4", "", ClientXForwardedFor, lb, "203.0.113.7"},
		{"all trusted: leftmost", "10.0.0.1", "10.1.1.1, 10.2.2.2", "", ClientXForwardedFor, lb, "10.1.1.1"},
		{"garbage stops the walk", "10.0.0.1", "203.0.113.7, garbage, 10.2.3.4", "", ClientXForwardedFor, lb, "10.2.3.4"},
		{"garbage rightmost: peer", "10.0.0.1", "203.0.113.7, unknown", "", ClientXForwardedFor, lb, "10.0.0.1"},
		{"ports and brackets", "10.0.0.1", "[2001:db8::7]:4711, 10.2.3.4:80", "", ClientXForwardedFor, lb, "2001:db8::7"},
		{"no header: peer", "10.0.0.1", "", "", ClientXForwardedFor, lb, "10.0.0.1"},
		{"no trusted list: rightmost", "10.0.0.1", "1.2.3.4, 203.0.113.7", "", ClientXForwardedFor, nil, "203.0.113.7"},
		{"v4-mapped peer", "::ffff:10.0.0.1", "203.0.113.7", "", ClientXForwardedFor, lb, "203.0.113.7"},
		{"forwarded", "10.0.0.1", "", `for=198.51.100.17;proto=https, for="[2001:db8:cafe::17]:4711", For=10.3.3.3`, ClientForwarded, lb, "2001:db8:cafe::17"},
		{"forwarded obfuscated", "10.0.0.1", "", `for=203.0.113.1, for=_hidden, for=10.3.3.3`, ClientForwarded, lb, "10.3.3.3"},
		{"forwarded quoted comma", "10.0.0.1", "", `for="203.0.113.1";x="a,b"`, ClientForwarded, lb, "203.0.113.1"},
	} {
		r := Record{ClientIP: tc.peer}
		if tc.xff != "" {
			r.XForwardedFor, r.HasXFF = tc.xff, true
		}
		if tc.fwd != "" {
			r.RequestHeaders = []Header{{"Forwarded", tc.fwd}}
		}
		c := ClientIP{Source: tc.source, TrustedProxies: tc.trusted}
		if got := c.Resolve(&r); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
	for _, s := range []string{"peer", "x-forwarded-for", "forwarded"} {
		if _, err := ParseClientIPSource(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseClientIPSource("proxy-protocol"); err == nil {
		t.Error("ParseClientIPSource accepted proxy-protocol")
	}
}

type netipPrefix = netip.Prefix

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
