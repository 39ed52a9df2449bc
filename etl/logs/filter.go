package logs

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Filter selects exchanges; an empty field selects everything.
type Filter struct {
	// Vhosts are matched against the normalised Host (NormaliseHost of each
	// entry too); "" matches requests without a Host. A leading "*." matches
	// every subdomain ("*.example.com" matches a.example.com, not example.com).
	Vhosts []string
	// Clients are matched against the rendered client address (after
	// --client-ip resolution).
	Clients []netip.Prefix
	// Status ranges, inclusive; a request without a response has status 0.
	Status []StatusRange
}

// StatusRange is an inclusive range of status codes.
type StatusRange struct{ Lo, Hi int }

// ParseStatus parses --status: a comma-separated list of codes ("404"),
// classes ("5xx") and ranges ("400-499"); "000" or "0" selects requests
// without a response.
func ParseStatus(list []string) ([]StatusRange, error) {
	var out []StatusRange
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			s = strings.ToLower(strings.TrimSpace(s))
			if s == "" {
				continue
			}
			if len(s) == 3 && s[1:] == "xx" && s[0] >= '1' && s[0] <= '9' {
				lo := int(s[0]-'0') * 100
				out = append(out, StatusRange{lo, lo + 99})
				continue
			}
			lo, hi, isRange := strings.Cut(s, "-")
			a, err := strconv.Atoi(lo)
			if err != nil || a < 0 || a > 999 {
				return nil, fmt.Errorf("cannot parse status %q (want 404, 5xx or 400-499)", s)
			}
			b := a
			if isRange {
				if b, err = strconv.Atoi(hi); err != nil || b < a || b > 999 {
					return nil, fmt.Errorf("cannot parse status range %q (want 400-499)", s)
				}
			}
			out = append(out, StatusRange{a, b})
		}
	}
	return out, nil
}

// Match reports whether r is selected; r.RemoteIP must already be resolved.
func (f *Filter) Match(r *Record) bool {
	if len(f.Status) > 0 {
		st := r.Status
		if !r.HasResponse {
			st = 0
		}
		ok := false
		for _, s := range f.Status {
			if st >= s.Lo && st <= s.Hi {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.Vhosts) > 0 {
		v, ok := r.Vhost(), false
		for _, want := range f.Vhosts {
			if sfx, wild := strings.CutPrefix(want, "*."); wild {
				if strings.HasSuffix(v, "."+NormaliseHost(sfx)) {
					ok = true
					break
				}
			} else if v == NormaliseHost(want) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.Clients) > 0 {
		a, err := netip.ParseAddr(r.Remote())
		if err != nil {
			return false
		}
		a = a.Unmap()
		ok := false
		for _, p := range f.Clients {
			if p.Contains(a) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
