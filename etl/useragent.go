package etl

import "strings"

// uaClass is what classifyUserAgent derives from one User-Agent value.
type uaClass struct {
	Family  string // "Chrome", "curl", "Googlebot", ... "Other"
	Version string // the family's version token as sent ("120.0.6099.71"), "" when none
	OS      string // "Windows", "macOS", "iOS", "Android", "Linux", "ChromeOS", "Other"
	Device  string // "desktop", "mobile", "tablet", "bot" or "other" (tools, libraries, unknown)
	IsBot   bool
}

// uaBots are crawler and monitor product tokens, matched case-insensitively
// as substrings; the family is the token as written here.
var uaBots = []string{
	"Googlebot", "AdsBot-Google", "Mediapartners-Google", "Google-InspectionTool", "bingbot", "BingPreview",
	"YandexBot", "Baiduspider", "DuckDuckBot", "Applebot", "Slurp", "facebookexternalhit", "Facebot",
	"Twitterbot", "LinkedInBot", "Slackbot", "Discordbot", "TelegramBot", "AhrefsBot", "SemrushBot",
	"MJ12bot", "DotBot", "PetalBot", "SeznamBot", "Exabot", "ia_archiver", "archive.org_bot", "GPTBot",
	"ChatGPT-User", "OAI-SearchBot", "ClaudeBot", "PerplexityBot", "CCBot", "Bytespider", "Amazonbot",
	"UptimeRobot", "Pingdom", "zgrab", "masscan", "Nmap Scripting Engine", "Nuclei", "CensysInspect",
}

// uaGenericBot marks a crawler not listed in uaBots (family "Other bot").
var uaGenericBot = []string{"bot", "crawler", "spider", "scanner"}

// uaTools are HTTP clients matched as the first product token (case-
// insensitively): neither browsers nor crawlers.
var uaTools = []struct{ token, family string }{
	{"curl", "curl"}, {"wget", "Wget"}, {"python-requests", "python-requests"}, {"python-urllib", "Python-urllib"},
	{"python-httpx", "python-httpx"}, {"aiohttp", "aiohttp"}, {"go-http-client", "Go-http-client"},
	{"okhttp", "okhttp"}, {"java", "Java"}, {"apache-httpclient", "Apache-HttpClient"}, {"libwww-perl", "libwww-perl"},
	{"postmanruntime", "Postman"}, {"httpie", "HTTPie"}, {"apachebench", "ApacheBench"}, {"axios", "axios"},
	{"node-fetch", "node-fetch"}, {"wrk", "wrk"}, {"powershell", "PowerShell"},
}

// uaBrowsers are tried in order, most specific first (every Chromium
// browser also says Chrome/ and Safari/, Chrome says Safari/ too).
var uaBrowsers = []struct{ token, family string }{
	{"Edg/", "Edge"}, {"Edge/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
	{"OPR/", "Opera"}, {"Opera/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"}, {"YaBrowser/", "Yandex Browser"},
	{"Vivaldi/", "Vivaldi"}, {"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Chromium/", "Chromium"},
	{"FxiOS/", "Firefox"}, {"Firefox/", "Firefox"}, {"MSIE ", "IE"}, {"Trident/", "IE"},
}

// classifyUserAgent parses a User-Agent with small substring rules —
// predictable and table-tested, not a full parser. Bots first (a known
// crawler token, else a generic "bot"/"crawler"/"spider" word), then
// command-line tools and libraries (first product token), then browsers
// (most specific first; Safari needs Version/), then OS and device from
// the platform comment. Each distinct value is parsed once: the dimension
// memo calls this only for new members.
func classifyUserAgent(ua string) uaClass {
	c := uaClass{Family: "Other", OS: uaOS(ua), Device: "other"}
	lower := strings.ToLower(ua)
	for _, b := range uaBots {
		if i := strings.Index(lower, strings.ToLower(b)); i >= 0 {
			c.Family, c.Version, c.Device, c.IsBot = b, uaVersionAt(ua, i+len(b)), "bot", true
			return c
		}
	}
	first, _, _ := strings.Cut(lower, " ")
	name, _, _ := strings.Cut(first, "/")
	for _, t := range uaTools {
		if name == t.token {
			c.Family, c.Version = t.family, uaVersionAt(ua, len(name))
			return c
		}
	}
	for _, g := range uaGenericBot {
		if strings.Contains(lower, g) {
			c.Family, c.Device, c.IsBot = "Other bot", "bot", true
			return c
		}
	}
	for _, b := range uaBrowsers {
		if i := strings.Index(ua, b.token); i >= 0 {
			c.Family, c.Version = b.family, uaVersionAt(ua, i+len(b.token)-1)
			if b.token == "Trident/" {
				c.Version = "" // Trident's version is the engine's, not IE's
				if j := strings.Index(ua, "rv:"); j >= 0 {
					c.Version = uaVersionAt(ua, j+2)
				}
			}
			break
		}
	}
	if c.Family == "Other" && strings.Contains(ua, "Safari/") && strings.Contains(ua, "Version/") {
		c.Family, c.Version = "Safari", uaVersionAt(ua, strings.Index(ua, "Version/")+len("Version"))
	}
	if c.Family == "Other" && !strings.HasPrefix(ua, "Mozilla/") {
		return c // unknown product: not a browser, device stays "other"
	}
	c.Device = uaDevice(ua)
	return c
}

// uaVersionAt reads the version after a product token: i points at the
// separator ('/', ' ', ':' or '-'), the version runs to the next space,
// ';' or ')'.
func uaVersionAt(ua string, i int) string {
	if i >= len(ua) || (ua[i] != '/' && ua[i] != ' ' && ua[i] != ':' && ua[i] != '-') {
		return ""
	}
	v := ua[i+1:]
	if end := strings.IndexAny(v, " ;)("); end >= 0 {
		v = v[:end]
	}
	if v == "" || v[0] < '0' || v[0] > '9' {
		return ""
	}
	return v
}

func uaOS(ua string) string {
	switch {
	case strings.Contains(ua, "Windows"):
		return "Windows"
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"), strings.Contains(ua, "iPod"):
		return "iOS"
	case strings.Contains(ua, "Android"):
		return "Android"
	case strings.Contains(ua, "CrOS"):
		return "ChromeOS"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		return "macOS"
	case strings.Contains(ua, "Linux"), strings.Contains(ua, "X11"):
		return "Linux"
	}
	return "Other"
}

func uaDevice(ua string) string {
	switch {
	case strings.Contains(ua, "iPad"), strings.Contains(ua, "Tablet"),
		strings.Contains(ua, "Android") && !strings.Contains(ua, "Mobile"):
		return "tablet"
	case strings.Contains(ua, "Mobi"), strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPod"):
		return "mobile"
	}
	return "desktop"
}
