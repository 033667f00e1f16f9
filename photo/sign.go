package photo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"roster"
)

// Signer makes and checks expiring photo URLs, so that an <img> tag, which
// cannot send an auth header, can still load a photo.
type Signer struct{ key []byte }

// NewSigner returns a Signer using key for HMAC-SHA256. It panics if key is
// empty, since anyone could then forge URLs.
func NewSigner(key []byte) Signer {
	if len(key) == 0 {
		panic("photo: empty signing key")
	}
	return Signer{key: append([]byte(nil), key...)}
}

// URL returns base + "/photos/" + key + "?exp=…&sig=…". exp is the start of
// the hour plus 2h, so the URL stays the same for an hour, letting browsers
// cache the photo, and is valid for 1 to 2 hours.
func (s Signer) URL(base, key string, now time.Time) string {
	exp := strconv.FormatInt(now.Truncate(time.Hour).Add(2*time.Hour).Unix(), 10)
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	q := url.Values{"exp": {exp}, "sig": {s.sign(key, exp)}}
	return strings.TrimSuffix(base, "/") + "/photos/" + strings.Join(segs, "/") + "?" + q.Encode()
}

// Verify checks a URL's key, exp and sig. Every failure is the same
// KindNotFound error, so a guess learns nothing, not even that the key exists.
func (s Signer) Verify(key, exp, sig string, now time.Time) error {
	notFound := roster.Errorf(roster.KindNotFound, "photo not found")
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(s.key) == 0 || !hmac.Equal(got, s.mac(key, exp)) {
		return notFound
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !now.Before(time.Unix(unix, 0)) {
		return notFound
	}
	return nil
}

func (s Signer) sign(key, exp string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac(key, exp))
}

func (s Signer) mac(key, exp string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(key + "\n" + exp))
	return m.Sum(nil)
}
