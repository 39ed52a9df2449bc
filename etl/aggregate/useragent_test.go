package aggregate

import "testing"

func TestClassifyUserAgent(t *testing.T) {
	for _, tc := range []struct {
		ua   string
		want UserAgentClass
	}{
		{"", UserAgentClass{"-", "-", "-", false}},
		{"curl/8.5.0", UserAgentClass{"curl", "Other", "other", false}},
		{"Wget/1.21.4", UserAgentClass{"Wget", "Other", "other", false}},
		{"python-requests/2.31.0", UserAgentClass{"python-requests", "Other", "other", false}},
		{"Go-http-client/1.1", UserAgentClass{"Go-http-client", "Other", "other", false}},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", UserAgentClass{"Chrome", "Windows", "desktop", false}},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", UserAgentClass{"Edge", "Windows", "desktop", false}},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", UserAgentClass{"Firefox", "Linux", "desktop", false}},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", UserAgentClass{"Safari", "macOS", "desktop", false}},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", UserAgentClass{"Safari", "iOS", "mobile", false}},
		{"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1", UserAgentClass{"Chrome", "iOS", "tablet", false}},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", UserAgentClass{"Chrome", "Android", "mobile", false}},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", UserAgentClass{"Googlebot", "Other", "bot", true}},
		{"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", UserAgentClass{"bingbot", "Other", "bot", true}},
		{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", UserAgentClass{"GPTBot", "Other", "bot", true}},
		{"Mozilla/5.0 (compatible; SomeNewCrawler/0.1)", UserAgentClass{"Other bot", "Other", "bot", true}},
		{"Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko", UserAgentClass{"IE", "Windows", "desktop", false}},
		{"something odd", UserAgentClass{"Other", "Other", "desktop", false}},
	} {
		if got := ClassifyUserAgent(tc.ua); got != tc.want {
			t.Errorf("ClassifyUserAgent(%q) = %+v, want %+v", tc.ua, got, tc.want)
		}
	}
}
