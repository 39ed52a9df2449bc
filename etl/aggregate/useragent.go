package aggregate

import "strings"

// UserAgentClass is what ClassifyUserAgent derives from a User-Agent.
type UserAgentClass struct {
	Family string // "Chrome", "curl", "Googlebot", ... "Other"
	OS     string // "Windows", "Android", "iOS", "macOS", "Linux", "ChromeOS", ... "Other"
	Device string // "desktop", "mobile", "tablet", "bot" or "other" (tools and libraries)
	IsBot  bool
}

// knownBots are crawler tokens, matched case-insensitively as substrings;
// the family is the token as written here. Order matters only where one
// token contains another.
var knownBots = []string{
	"Googlebot", "AdsBot-Google", "Mediapartners-Google", "Google-InspectionTool", "bingbot", "BingPreview",
	"YandexBot", "Baiduspider", "DuckDuckBot", "Applebot", "Slurp", "facebookexternalhit", "Facebot",
	"Twitterbot", "LinkedInBot", "Slackbot", "Discordbot", "TelegramBot", "WhatsApp", "AhrefsBot",
	"SemrushBot", "MJ12bot", "DotBot", "PetalBot", "SeznamBot", "Sogou", "Exabot", "ia_archiver",
	"archive.org_bot", "GPTBot", "ChatGPT-User", "OAI-SearchBot", "ClaudeBot", "Claude-Web", "anthropic-ai",
	"PerplexityBot", "CCBot", "Bytespider", "Amazonbot", "DataForSeoBot", "UptimeRobot", "Pingdom",
	"StatusCake", "Uptime-Kuma", "Nagios", "zgrab", "masscan", "Nmap", "Nuclei", "CensysInspect", "Expanse",
}

// genericBotTokens mark a crawler or scanner not listed above (family
// "Other bot").
var genericBotTokens = []string{"bot", "crawler", "spider", "crawl", "scan", "monitor", "preview", "fetcher", "http://", "https://"}

// knownTools are HTTP clients and libraries: product tokens matched at the
// start of the User-Agent (case-insensitively, followed by "/", " " or the
// end). They are neither browsers nor crawlers: device "other", not a bot.
var knownTools = []struct{ token, family string }{
	{"curl", "curl"}, {"Wget", "Wget"}, {"python-requests", "python-requests"}, {"python-urllib", "Python-urllib"},
	{"Python-urllib", "Python-urllib"}, {"python-httpx", "python-httpx"}, {"aiohttp", "aiohttp"},
	{"Go-http-client", "Go-http-client"}, {"okhttp", "okhttp"}, {"Java", "Java"}, {"Apache-HttpClient", "Apache-HttpClient"},
	{"libwww-perl", "libwww-perl"}, {"PostmanRuntime", "Postman"}, {"insomnia", "Insomnia"}, {"HTTPie", "HTTPie"},
	{"ApacheBench", "ApacheBench"}, {"Wrk", "wrk"}, {"k6", "k6"}, {"hey", "hey"}, {"axios", "axios"},
	{"node-fetch", "node-fetch"}, {"undici", "undici"}, {"Dart", "Dart"}, {"Ruby", "Ruby"}, {"PHP", "PHP"},
	{"Guzzle", "Guzzle"}, {"GuzzleHttp", "Guzzle"}, {"reqwest", "reqwest"},
}

// ClassifyUserAgent derives family, OS, device and bot flag from a
// User-Agent value with substring rules — deliberately small and
// predictable, not a full parser (no versions, a few dozen families):
//
//   - Bots: a known crawler token (Googlebot, bingbot, GPTBot, ... see
//     knownBots) gives that family; otherwise a generic token ("bot",
//     "crawler", "spider", "scan", a URL ...) gives "Other bot". Bots have
//     device "bot" and IsBot true.
//   - Tools: a User-Agent starting with a known client product (curl, Wget,
//     python-requests, Go-http-client, ...) gives that family, device
//     "other", IsBot false.
//   - Browsers, most specific first: Edge (Edg/, Edge/), Opera (OPR/),
//     Samsung Internet, Chrome (Chrome/, CriOS/), Firefox (Firefox/,
//     FxiOS/), Safari (Safari/ with Version/), IE (MSIE, Trident/); anything
//     else "Other".
//   - OS: Windows, Android, iOS (iPhone, iPad, iPod), macOS, ChromeOS,
//     Linux, else "Other". Device: tablet (iPad, Android without "Mobile"),
//     mobile ("Mobi", iPhone, iPod), desktop otherwise.
//
// The empty User-Agent (no header) is family, OS and device "-", not a
// bot.
func ClassifyUserAgent(ua string) UserAgentClass {
	if strings.TrimSpace(ua) == "" {
		return UserAgentClass{Family: "-", OS: "-", Device: "-"}
	}
	lower := strings.ToLower(ua)
	c := UserAgentClass{OS: classifyOS(ua)}
	for _, b := range knownBots {
		if strings.Contains(lower, strings.ToLower(b)) {
			c.Family, c.Device, c.IsBot = b, "bot", true
			return c
		}
	}
	for _, t := range knownTools {
		rest, ok := cutPrefixFold(ua, t.token)
		if ok && (rest == "" || rest[0] == '/' || rest[0] == ' ') {
			c.Family, c.Device = t.family, "other"
			return c
		}
	}
	for _, tok := range genericBotTokens {
		if strings.Contains(lower, tok) {
			c.Family, c.Device, c.IsBot = "Other bot", "bot", true
			return c
		}
	}
	switch {
	case strings.Contains(ua, "Edg/") || strings.Contains(ua, "Edge/") || strings.Contains(ua, "EdgA/") || strings.Contains(ua, "EdgiOS/"):
		c.Family = "Edge"
	case strings.Contains(ua, "OPR/") || strings.Contains(ua, "Opera"):
		c.Family = "Opera"
	case strings.Contains(ua, "SamsungBrowser/"):
		c.Family = "Samsung Internet"
	case strings.Contains(ua, "Chrome/") || strings.Contains(ua, "CriOS/") || strings.Contains(ua, "Chromium/"):
		c.Family = "Chrome"
	case strings.Contains(ua, "Firefox/") || strings.Contains(ua, "FxiOS/"):
		c.Family = "Firefox"
	case strings.Contains(ua, "Safari/") && strings.Contains(ua, "Version/"):
		c.Family = "Safari"
	case strings.Contains(ua, "MSIE ") || strings.Contains(ua, "Trident/"):
		c.Family = "IE"
	default:
		c.Family = "Other"
	}
	switch {
	case strings.Contains(ua, "iPad") || (strings.Contains(ua, "Android") && !strings.Contains(ua, "Mobile")) || strings.Contains(ua, "Tablet"):
		c.Device = "tablet"
	case strings.Contains(ua, "Mobi") || strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPod"):
		c.Device = "mobile"
	default:
		c.Device = "desktop"
	}
	return c
}

func classifyOS(ua string) string {
	switch {
	case strings.Contains(ua, "Windows"):
		return "Windows"
	case strings.Contains(ua, "Android"):
		return "Android"
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad") || strings.Contains(ua, "iPod") || strings.Contains(ua, "iOS"):
		return "iOS"
	case strings.Contains(ua, "Mac OS X") || strings.Contains(ua, "Macintosh"):
		return "macOS"
	case strings.Contains(ua, "CrOS"):
		return "ChromeOS"
	case strings.Contains(ua, "Linux") || strings.Contains(ua, "X11"):
		return "Linux"
	case strings.Contains(ua, "FreeBSD") || strings.Contains(ua, "OpenBSD") || strings.Contains(ua, "NetBSD"):
		return "BSD"
	}
	return "Other"
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
