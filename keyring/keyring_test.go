package keyring_test

import (
	"errors"
	"strings"
	"testing"

	"roster/keyring"
)

func mustParse(t *testing.T, s string) *keyring.Ring {
	t.Helper()
	r, err := keyring.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSealOpen(t *testing.T) {
	r := mustParse(t, keyring.NewKey())
	const plain = "the signing key"
	sealed := r.Seal("photo_url_key", plain)
	if strings.Contains(sealed, plain) || !strings.HasPrefix(sealed, "v1:"+r.ID()+":") {
		t.Fatalf("sealed %q", sealed)
	}
	if again := r.Seal("photo_url_key", plain); again == sealed {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	got, current, err := r.Open("photo_url_key", sealed)
	if err != nil || got != plain || !current {
		t.Errorf("Open = %q, %v, %v; want %q, true", got, current, err, plain)
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := keyring.NewKey(), keyring.NewKey()
	old, both := mustParse(t, oldKey), mustParse(t, newKey+", "+oldKey)
	if both.ID() == old.ID() {
		t.Fatal("the ring seals with its second key")
	}
	sealed := old.Seal("n", "v")
	if got, current, err := both.Open("n", sealed); err != nil || got != "v" || current {
		t.Errorf("new ring opens the old seal: %q, current %v, %v; want v, false", got, current, err)
	}
	resealed := both.Seal("n", "v")
	if got, current, err := both.Open("n", resealed); err != nil || got != "v" || !current {
		t.Errorf("new ring opens its own seal: %q, current %v, %v", got, current, err)
	}
	if _, _, err := old.Open("n", resealed); !errors.Is(err, keyring.ErrUnknownKey) || !strings.Contains(err.Error(), both.ID()) {
		t.Errorf("old key opens the new seal: %v; want ErrUnknownKey naming %s", err, both.ID())
	}
}

func TestTamperingIsDetected(t *testing.T) {
	r := mustParse(t, keyring.NewKey())
	sealed := r.Seal("access_token_key", "secret")
	prefix := "v1:" + r.ID() + ":"
	flip := func(s string, i int) string {
		c := byte('A')
		if s[i] == c {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	for name, v := range map[string]string{
		"first ciphertext character": flip(sealed, len(prefix)),
		"last tag character":         flip(sealed, len(sealed)-2),
		"truncated":                  sealed[:len(sealed)-4],
		"extended":                   sealed + "AAAA",
		"not base64":                 prefix + "!!!!",
		"empty":                      prefix,
		"other version":              "v2" + sealed[2:],
		"no data":                    "v1:" + r.ID(),
	} {
		if _, _, err := r.Open("access_token_key", v); !errors.Is(err, keyring.ErrTampered) {
			t.Errorf("%s: %v; want ErrTampered", name, err)
		}
	}
	if _, _, err := r.Open("photo_url_key", sealed); !errors.Is(err, keyring.ErrTampered) {
		t.Errorf("a value moved to another setting: %v; want ErrTampered", err)
	}
	other := mustParse(t, keyring.NewKey())
	if _, _, err := r.Open("n", other.Seal("n", "v")); !errors.Is(err, keyring.ErrUnknownKey) {
		t.Errorf("another key's seal: %v; want ErrUnknownKey", err)
	}
	if _, _, err := r.Open("n", "PlainBase62Secret"); !errors.Is(err, keyring.ErrNotSealed) {
		t.Errorf("a plain value: %v; want ErrNotSealed", err)
	}
}

func TestParseRefusesBadKeysWithoutQuotingThem(t *testing.T) {
	good := keyring.NewKey()
	short := good[:20]
	for _, s := range []string{"", short, good + ",", good + "," + short, good + "," + good, "not base64 at all!!!!!!!!!!!!!!!!!!!!!!!!"} {
		_, err := keyring.Parse(s)
		if err == nil {
			t.Errorf("Parse accepted %q", s)
			continue
		}
		if strings.Contains(err.Error(), short) {
			t.Errorf("the error quotes the key: %v", err)
		}
	}
	if len(good) != 44 || good == keyring.NewKey() {
		t.Errorf("NewKey = %q: want 44 characters, new each time", good)
	}
}
