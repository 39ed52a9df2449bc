package etl

import "testing"

func TestClassifyUserAgent(t *testing.T) {
	tests := []struct {
		ua   string
		want uaClass
	}{
		{"curl/7.88.1", uaClass{"curl", "7.88.1", "Other", "other", false}},
		{"Wget/1.21.3", uaClass{"Wget", "1.21.3", "Other", "other", false}},
		{"python-requests/2.31.0", uaClass{"python-requests", "2.31.0", "Other", "other", false}},
		{"Go-http-client/1.1", uaClass{"Go-http-client", "1.1", "Other", "other", false}},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36",
			uaClass{"Chrome", "120.0.6099.71", "Windows", "desktop", false}},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
			uaClass{"Edge", "120.0.2210.61", "Windows", "desktop", false}},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0",
			uaClass{"Opera", "105.0.0.0", "Linux", "desktop", false}},
		{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
			uaClass{"Firefox", "121.0", "Linux", "desktop", false}},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
			uaClass{"Safari", "17.1", "macOS", "desktop", false}},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
			uaClass{"Safari", "17.1", "iOS", "mobile", false}},
		{"Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.101 Mobile/15E148 Safari/604.1",
			uaClass{"Chrome", "120.0.6099.101", "iOS", "tablet", false}},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
			uaClass{"Chrome", "120.0.6099.43", "Android", "mobile", false}},
		{"Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			uaClass{"Chrome", "120.0.0.0", "Android", "tablet", false}},
		{"Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko", uaClass{"IE", "11.0", "Windows", "desktop", false}},
		{"Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)", uaClass{"IE", "8.0", "Windows", "desktop", false}},
		{"Googlebot/2.1 (+http://www.google.com/bot.html)", uaClass{"Googlebot", "2.1", "Other", "bot", true}},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", uaClass{"Googlebot", "2.1", "Other", "bot", true}},
		{"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", uaClass{"bingbot", "2.0", "Other", "bot", true}},
		{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)", uaClass{"GPTBot", "1.0", "Other", "bot", true}},
		{"Mozilla/5.0 (compatible; SomeNewCrawler/0.1)", uaClass{"Other bot", "", "Other", "bot", true}},
		{"", uaClass{"Other", "", "Other", "other", false}},
		{"\"quoted\\ua\t\xff", uaClass{"Other", "", "Other", "other", false}},
		{"Mozilla/5.0", uaClass{"Other", "", "Other", "desktop", false}},
	}
	for _, tt := range tests {
		if got := classifyUserAgent(tt.ua); got != tt.want {
			t.Errorf("classifyUserAgent(%q)\n got %+v\nwant %+v", tt.ua, got, tt.want)
		}
	}
}
