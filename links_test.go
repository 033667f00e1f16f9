package roster

import (
	"strings"
	"testing"
	"time"
)

func TestLinkOrigins(t *testing.T) {
	o, err := NewLinkOrigins("https://App.Example.com/anything", " http://localhost:3000 ", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.Origins(), " "); got != "https://app.example.com http://localhost:3000" {
		t.Fatalf("origins %q", got)
	}
	for link, want := range map[string]string{
		"":                                     "",
		"https://app.example.com/join?team=1":  "https://app.example.com/join?team=1",
		"https://APP.example.com:443/j#top":    "https://app.example.com/j#top",
		"http://localhost:3000/v":              "http://localhost:3000/v",
		"https://app.example.com":              "https://app.example.com",
		"https://app.example.com/a%20b?x=%2F1": "https://app.example.com/a%20b?x=%2F1",
	} {
		if got, err := o.Check("platform_link", link); err != nil || got != want {
			t.Errorf("Check(%q) = %q, %v; want %q", link, got, err, want)
		}
	}
	for link, want := range map[string]string{
		"https://evil.example/":                                "https://evil.example is not an origin this server links to",
		"https://app.example.com@evil.example/":                "must not carry a user name",
		"https://user@app.example.com/":                        "must not carry a user name",
		"https://app.example.com.evil.example/":                "is not an origin",
		"http://app.example.com/":                              "http://app.example.com is not an origin",
		"https://app.example.com:444/":                         "https://app.example.com:444 is not an origin",
		"http://localhost:3001/":                               "is not an origin",
		"javascript:alert(1)":                                  "must be an absolute http or https URL",
		"//app.example.com/x":                                  "must be an absolute http or https URL",
		"https://app.example.com/" + strings.Repeat("x", 2000): "at most 2000 characters",
	} {
		_, err := o.Check("platform_link", link)
		if err == nil || !strings.HasPrefix(err.Error(), "platform_link: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("Check(%.40q) = %v; want an error containing %q", link, err, want)
		}
	}
	if _, err := (LinkOrigins{}).Check("platform_link", "https://app.example.com/"); err == nil ||
		!strings.Contains(err.Error(), "sends no links in mail") {
		t.Errorf("with no origins allowed: %v", err)
	}
	for _, bad := range []string{"app.example.com", "ftp://x.example", "https://u:p@x.example"} {
		if _, err := NewLinkOrigins(bad); err == nil {
			t.Errorf("NewLinkOrigins(%q) accepted", bad)
		}
	}
}

func TestParseRate(t *testing.T) {
	for s, want := range map[string]Rate{
		"5/1h": {5, time.Hour}, "20/10m": {20, 10 * time.Minute}, "1/90s": {1, 90 * time.Second}, "off": {}, "0": {},
	} {
		got, err := ParseRate(s)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, bad := range []string{"", "5", "5/", "/1h", "-1/1h", "0/1h", "5/0s", "5/-1h", "x/1h", "5/forever"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
	for r, want := range map[Rate]string{{5, time.Hour}: "5/1h", {20, 10 * time.Minute}: "20/10m", {1, 90 * time.Second}: "1/1m30s", {}: "off"} {
		if got := r.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", r, got, want)
		}
	}
}
