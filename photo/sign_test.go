package photo_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/photo"
)

const testKey = "org1/client1-0123abcd.jpg"

// parse splits a URL made by Signer.URL into the arguments of Verify.
func parse(t *testing.T, raw string) (key, exp, sig string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := strings.CutPrefix(u.Path, "/photos/")
	if !ok {
		t.Fatalf("path %q does not start with /photos/", u.Path)
	}
	q := u.Query()
	return key, q.Get("exp"), q.Get("sig")
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	wantError(t, err, roster.KindNotFound, "photo not found")
}

func TestSignerURL(t *testing.T) {
	s := photo.NewSigner([]byte("secret"))
	now := time.Date(2025, 3, 4, 10, 20, 30, 0, time.UTC)
	raw := s.URL("https://api.example.com/", testKey, now)
	if want := "https://api.example.com/photos/" + testKey + "?exp=1741089600&sig="; !strings.HasPrefix(raw, want) {
		t.Fatalf("URL = %q, want prefix %q", raw, want)
	}
	key, exp, sig := parse(t, raw)
	if key != testKey {
		t.Fatalf("key = %q, want %q", key, testKey)
	}
	m := hmac.New(sha256.New, []byte("secret"))
	m.Write([]byte(testKey + "\n1741089600"))
	if want := base64.RawURLEncoding.EncodeToString(m.Sum(nil)); sig != want {
		t.Fatalf("sig = %q, want %q", sig, want)
	}
	if err := s.Verify(key, exp, sig, now); err != nil {
		t.Fatalf("Verify: %v", err)
	}

	// exp is noon: the URL works until just before it.
	if err := s.Verify(key, exp, sig, time.Date(2025, 3, 4, 11, 59, 59, 0, time.UTC)); err != nil {
		t.Fatalf("Verify just before exp: %v", err)
	}
	wantNotFound(t, s.Verify(key, exp, sig, time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)))

	tampered := []byte(sig)
	tampered[0] ^= 1
	wantNotFound(t, s.Verify(key, exp, string(tampered), now))
	wantNotFound(t, s.Verify(key, exp, sig+"A", now))
	wantNotFound(t, s.Verify(key, exp, "", now))
	wantNotFound(t, s.Verify(key, exp, "!!!", now))
	wantNotFound(t, s.Verify("org1/client2-0123abcd.jpg", exp, sig, now))
	wantNotFound(t, s.Verify(key, "1741093200", sig, now))
	wantNotFound(t, s.Verify(key, "+1741089600", sig, now))
	wantNotFound(t, photo.NewSigner([]byte("other")).Verify(key, exp, sig, now))
	// A zero Signer has no key, and an HMAC with an empty key is forgeable.
	_, exp0, sig0 := parse(t, photo.Signer{}.URL("", key, now))
	wantNotFound(t, photo.Signer{}.Verify(key, exp0, sig0, now))
}

func TestSignerURLStableWithinHour(t *testing.T) {
	s := photo.NewSigner([]byte("secret"))
	start := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	a := s.URL("https://x", testKey, start)
	b := s.URL("https://x", testKey, start.Add(59*time.Minute+59*time.Second))
	c := s.URL("https://x", testKey, start.Add(time.Hour))
	if a != b {
		t.Fatalf("URL changed within the hour:\n%s\n%s", a, b)
	}
	if a == c {
		t.Fatalf("URL did not change after the hour: %s", a)
	}
	// Issued at the last second of the hour, it is still valid an hour later.
	key, exp, sig := parse(t, b)
	if err := s.Verify(key, exp, sig, start.Add(time.Hour+59*time.Minute)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestSignerURLEscapes(t *testing.T) {
	s := photo.NewSigner([]byte("secret"))
	now := time.Unix(1741083630, 0)
	const key = "org 1/a?b#c%d"
	raw := s.URL("https://x/base", key, now)
	if want := "https://x/base/photos/org%201/a%3Fb%23c%25d?exp="; !strings.HasPrefix(raw, want) {
		t.Fatalf("URL = %q, want prefix %q", raw, want)
	}
	got, exp, sig := parse(t, strings.Replace(raw, "/base", "", 1))
	if got != key {
		t.Fatalf("key = %q, want %q", got, key)
	}
	if err := s.Verify(got, exp, sig, now); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
