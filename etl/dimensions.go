package etl

import (
	"fmt"
	"mime"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/spanlake/spanlake/schema"
)

// dateKey is YYYYMMDD of t (UTC).
func dateKey(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(y*10000 + int(m)*100 + d)
}

func timeKey(t time.Time) int32 { return int32(t.Hour()*60 + t.Minute()) }

func dateRow(t time.Time) schema.DimDate {
	y, m, d := t.Date()
	isoY, isoW := t.ISOWeek()
	wd := int32(t.Weekday())
	if wd == 0 {
		wd = 7
	}
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return schema.DimDate{
		DateKey: dateKey(t), Date: int32(day.Unix() / 86400), Year: int32(y), Quarter: int32((int(m)-1)/3 + 1),
		Month: int32(m), Day: int32(d), DayOfWeek: wd, DayName: t.Weekday().String(), MonthName: m.String(),
		ISOYear: int32(isoY), ISOWeek: int32(isoW), IsWeekend: wd >= 6,
	}
}

// timeRows returns all 1440 rows of dim_time.
func timeRows() []schema.DimTime {
	rows := make([]schema.DimTime, 0, 1440)
	for m := 0; m < 1440; m++ {
		h := m / 60
		period := [...]string{"night", "morning", "afternoon", "evening"}[h/6]
		rows = append(rows, schema.DimTime{TimeKey: int32(m), Hour: int32(h), Minute: int32(m % 60),
			Label: fmt.Sprintf("%02d:%02d", h, m%60), DayPeriod: period})
	}
	return rows
}

func endpointRow(a netip.Addr) (int64, schema.DimEndpoint) {
	a = a.Unmap()
	s := a.String()
	v := int32(4)
	if a.Is6() {
		v = 6
	}
	k := dimKey("endpoint", s)
	return k, schema.DimEndpoint{EndpointKey: k, IP: s, IPVersion: v, IsPrivate: a.IsPrivate(), IsLoopback: a.IsLoopback()}
}

// normalizeHost lower-cases a Host header and removes a trailing dot and
// the default port, so "WWW.Example.com.:80" and "www.example.com" are one
// virtual host.
func normalizeHost(h string) (vhost, name string, port int32) {
	h = strings.ToLower(strings.TrimSpace(h))
	name, p := h, ""
	if strings.HasPrefix(h, "[") { // IPv6 literal
		if i := strings.Index(h, "]"); i >= 0 {
			name, p = h[:i+1], strings.TrimPrefix(h[i+1:], ":")
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 {
		name, p = h[:i], h[i+1:]
	}
	name = strings.TrimSuffix(name, ".")
	if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65536 && n != 80 {
		port = int32(n)
		return name + ":" + p, name, port
	}
	return name, name, 0
}

func vhostRow(host string, present bool) (int64, schema.DimVhost) {
	if !present {
		return absentKey, schema.DimVhost{}
	}
	vhost, name, port := normalizeHost(host)
	vhost, _ = text(vhost)
	name, _ = text(name)
	k := dimKey("vhost", vhost)
	return k, schema.DimVhost{VhostKey: k, Vhost: vhost, HostName: name, Port: port, Present: true}
}

// targetPath extracts the path of a request-target: origin-form up to '?',
// the path of absolute-form, "*" or the authority of CONNECT as they are.
func targetPath(target string) string {
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	if i := strings.Index(target, "://"); i > 0 && !strings.HasPrefix(target, "/") {
		rest := target[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
		return "/"
	}
	return target
}

func urlRow(target string, present bool) (int64, schema.DimURL) {
	if !present {
		return absentKey, schema.DimURL{}
	}
	p := targetPath(target)
	s, raw := text(p)
	k := dimKey("url", p)
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(path.Base(s)), "."))
	if strings.ContainsAny(ext, "/\\") {
		ext = ""
	}
	return k, schema.DimURL{URLKey: k, Path: s, PathRaw: raw, Extension: ext, Depth: int32(pathDepth(s)), Present: true}
}

// pathDepth counts the non-empty segments of a path ("/a//b/" has 2),
// without splitting it: a distinct URL per request made that split one
// allocation per exchange.
func pathDepth(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '/' && (i == 0 || s[i-1] == '/') {
			depth++
		}
	}
	return depth
}

func userAgentRow(ua string, present bool) (int64, schema.DimUserAgent) {
	if !present {
		return absentKey, schema.DimUserAgent{}
	}
	s, raw := text(ua)
	k := dimKey("user_agent", ua)
	c := classifyUserAgent(s)
	return k, schema.DimUserAgent{UserAgentKey: k, UserAgent: s, UserAgentRaw: raw, Present: true,
		Family: c.Family, Version: c.Version, OS: c.OS, Device: c.Device, IsBot: c.IsBot}
}

func referrerRow(ref string, present bool) (int64, schema.DimReferrer) {
	if !present {
		return absentKey, schema.DimReferrer{}
	}
	s, raw := text(ref)
	k := dimKey("referrer", ref)
	row := schema.DimReferrer{ReferrerKey: k, Referrer: s, ReferrerRaw: raw, Present: true}
	if u, err := url.Parse(s); err == nil {
		row.Scheme, row.Host, row.Path = strings.ToLower(u.Scheme), strings.ToLower(u.Host), u.EscapedPath()
	}
	return k, row
}

func contentTypeRow(ct string, present bool) (int64, schema.DimContentType) {
	if !present {
		return absentKey, schema.DimContentType{}
	}
	media, params, err := mime.ParseMediaType(ct)
	if err != nil {
		media, _, _ = strings.Cut(ct, ";")
		media = strings.ToLower(strings.TrimSpace(media))
	}
	media, _ = text(media)
	charset, _ := text(strings.ToLower(params["charset"]))
	k := dimKey("content_type", media+";"+charset)
	return k, schema.DimContentType{ContentTypeKey: k, MediaType: media, Charset: charset, Present: true}
}
