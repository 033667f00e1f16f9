package webhookreceiver_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"roster/examples/webhookreceiver"
	"roster/webhook"
)

// newSecret is a secret as Roster makes one, whsec_ and the base64 of 32
// random bytes, and its key.
func newSecret(t *testing.T) (secret string, key []byte) {
	raw := make([]byte, 32)
	rand.Read(raw)
	secret = "whsec_" + base64.StdEncoding.EncodeToString(raw)
	key, err := webhook.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return secret, key
}

// TestVerify posts deliveries signed by package webhook's Sign, as the
// dispatcher signs them, over HTTP to a receiver built on Verify: it takes
// those signed with its secret, during a rotation too, and refuses
// forgeries, changes and stale timestamps.
func TestVerify(t *testing.T) {
	secret, key := newSecret(t)
	_, other := newSecret(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || !webhookreceiver.Verify(secret, r, body) {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	now := time.Now()
	tests := []struct {
		name    string
		secrets [][]byte  // that sign
		at      time.Time // the timestamp signed and sent
		change  func(h http.Header, body *[]byte)
		want    int
	}{
		{"signed", [][]byte{key}, now, nil, http.StatusOK},
		{"during a rotation, the new secret first", [][]byte{other, key}, now, nil, http.StatusOK},
		{"4 minutes old", [][]byte{key}, now.Add(-4 * time.Minute), nil, http.StatusOK},
		{"another secret", [][]byte{other}, now, nil, http.StatusUnauthorized},
		{"unsigned", nil, now, nil, http.StatusUnauthorized},
		{"6 minutes old", [][]byte{key}, now.Add(-6 * time.Minute), nil, http.StatusUnauthorized},
		{"6 minutes ahead", [][]byte{key}, now.Add(6 * time.Minute), nil, http.StatusUnauthorized},
		{"another body", [][]byte{key}, now, func(_ http.Header, body *[]byte) { *body = []byte(`{"type":"client.deleted"}`) },
			http.StatusUnauthorized},
		{"another id", [][]byte{key}, now, func(h http.Header, _ *[]byte) { h.Set("webhook-id", "msg_2") }, http.StatusUnauthorized},
		{"another timestamp", [][]byte{key}, now, func(h http.Header, _ *[]byte) { h.Set("webhook-timestamp", unix(now.Add(time.Second))) },
			http.StatusUnauthorized},
		{"no timestamp", [][]byte{key}, now, func(h http.Header, _ *[]byte) { h.Del("webhook-timestamp") }, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		body := []byte(`{"type":"client.created","timestamp":"2026-12-07T10:00:00Z","data":{"user_uid":"u1"}}`)
		h := http.Header{"Webhook-Id": {"msg_1"}, "Webhook-Timestamp": {unix(tt.at)}}
		h.Set("webhook-signature", webhook.Sign(tt.secrets, "msg_1", unix(tt.at), body))
		if tt.change != nil {
			tt.change(h, &body)
		}
		req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = h
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, res.StatusCode, tt.want)
		}
	}
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
