package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// TestConfigProviderSignIn: the console's sign-in through the identity
// provider needs the public URL to be sent back to, and its client secret
// is read from the environment only and shown masked.
func TestConfigProviderSignIn(t *testing.T) {
	provider := []string{"config", "--oidc-issuer", "https://id.example", "--oidc-audience", "roster",
		"--oidc-jwks-url", "https://id.example/jwks", "--oidc-name", "Example ID",
		"--oidc-auth-url", "https://id.example/authorize", "--oidc-token-url", "https://id.example/token"}
	t.Setenv(oidcSecretEnv, "the client secret")
	err := run(context.Background(), provider, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--public-url") {
		t.Errorf("without --public-url: %v", err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), append(provider, "--public-url", "https://roster.example"), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "the client secret") || !strings.Contains(out.String(), oidcSecretEnv) {
		t.Errorf("the secret is not shown masked:\n%s", out.String())
	}
	t.Setenv(oidcSecretEnv, "")
	err = run(context.Background(), append(provider, "--public-url", "https://roster.example"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "client secret") {
		t.Errorf("without the client secret: %v", err)
	}
}
