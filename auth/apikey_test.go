package auth

import (
	"net/http/httptest"
	"testing"
)

func TestAPIKeyRoundTrip(t *testing.T) {
	key, id, hash := NewAPIKey()
	gotID, secret, ok := SplitAPIKey(key)
	if !ok || gotID != id {
		t.Fatalf("SplitAPIKey(%q) = %q, %v; want id %q", key, gotID, ok, id)
	}
	if !SecretMatches(hash, secret) {
		t.Fatal("secret does not match its own hash")
	}
	changed := []byte(secret)
	changed[len(changed)-1] ^= 1 // still a letter or digit, and always different
	if SecretMatches(hash, string(changed)) {
		t.Fatal("a changed secret matches")
	}
	key2, _, _ := NewAPIKey()
	if key2 == key {
		t.Fatal("two keys are equal")
	}
	for _, bad := range []string{"", "rst_", key[:len(key)-1], "xxx_" + key[4:], key + "a", "rst_" + "!" + key[5:]} {
		if _, _, ok := SplitAPIKey(bad); ok {
			t.Errorf("SplitAPIKey(%q) accepted", bad)
		}
	}
}

func TestFromRequest(t *testing.T) {
	tests := []struct {
		header, value string
		want          Credential
		ok            bool
	}{
		{"API-KEY", "rst_k", Credential{APIKey: "rst_k"}, true},
		{"Authorization", "API-KEY rst_k", Credential{APIKey: "rst_k"}, true},
		{"Authorization", "api-key  rst_k ", Credential{APIKey: "rst_k"}, true},
		{"Authorization", "rst_k", Credential{APIKey: "rst_k"}, true},
		{"Authorization", "Bearer tok", Credential{Bearer: "tok"}, true},
		{"Authorization", "Bearer rst_k", Credential{APIKey: "rst_k"}, true},
		{"Authorization", "bearer  rst_k ", Credential{APIKey: "rst_k"}, true},
		{"Authorization", "", Credential{}, false},
		{"X-Other", "rst_k", Credential{}, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set(tt.header, tt.value)
		got, ok := FromRequest(r)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: %q → %+v, %v; want %+v, %v", tt.header, tt.value, got, ok, tt.want, tt.ok)
		}
	}
}
