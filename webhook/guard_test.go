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
	if err == nil || !strings.Contains(err.Error(), "192.168.1.5, a private address") {
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
