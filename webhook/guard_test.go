package webhook_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"roster/webhook"
)

// TestCheckURLLooksNamesUp refuses a name that resolves to an address
// inside, lets one that resolves outside or not at all through, and lets
// everything through with AllowPrivate.
func TestCheckURLLooksNamesUp(t *testing.T) {
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "inside.example":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("192.168.1.5")}, nil
		case "outside.example":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
		}
		return nil, errors.New("no such host")
	}
	p := webhook.Policy{Resolve: resolve}
	err := p.CheckURL(context.Background(), "https://inside.example/x")
	if err == nil || !strings.Contains(err.Error(), "resolves to a private address") || strings.Contains(err.Error(), "192.168.1.5") {
		t.Errorf("inside: %v", err)
	}
	for _, url := range []string{"https://outside.example/x", "https://unknown.example/x"} {
		if err := p.CheckURL(context.Background(), url); err != nil {
			t.Errorf("%s: %v", url, err)
		}
	}
	p.AllowPrivate = true
	if err := p.CheckURL(context.Background(), "https://inside.example/x"); err != nil {
		t.Errorf("inside, allowed: %v", err)
	}
	if err := p.CheckURL(context.Background(), "http://inside.example/x"); err == nil {
		t.Error("http without AllowHTTP was let in")
	}
}

// TestCheckURLRefusesAddressesInside refuses literal addresses that reach
// the server's own network however they are spelled.
func TestCheckURLRefusesAddressesInside(t *testing.T) {
	var p webhook.Policy
	for url, why := range map[string]string{
		"https://127.0.0.1/x":                 "a loopback address",
		"https://[::1]/x":                     "a loopback address",
		"https://[::ffff:127.0.0.1]/x":        "a loopback address",
		"https://0.0.0.0/x":                   "an unspecified address",
		"https://0.1.2.3/x":                   "an unspecified address",
		"https://10.1.2.3/x":                  "a private address",
		"https://100.64.0.1/x":                "a private address",
		"https://[fd00::1]/x":                 "a private address",
		"https://169.254.169.254/latest":      "a cloud metadata address",
		"https://[fd00:ec2::254]/x":           "a cloud metadata address",
		"https://169.254.1.1/x":               "a link-local address",
		"https://[64:ff9b::10.0.0.1]/x":       "a private address",
		"https://[64:ff9b::169.254.169.254]/": "a cloud metadata address",
		"https://224.0.0.1/x":                 "a multicast address",
		"https://[2002:a00:1::]/x":            "a private address",
		"https://[64:ff9b:1::1]/x":            "a private address",
		"https://[fec0::1]/x":                 "a private address",
		"https://192.0.0.8/x":                 "a private address",
		"https://198.18.0.1/x":                "a private address",
	} {
		if err := p.CheckURL(context.Background(), url); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v, want %q", url, err, why)
		}
	}
	if err := p.CheckURL(context.Background(), "https://[64:ff9b::5db8:d822]/x"); err != nil {
		t.Errorf("NAT64 of a public address: %v", err)
	}
}
