package api_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"roster/examples/webhookreceiver"
)

// TestReceiverExample: the receiver README.md shows (Verify of
// examples/webhookreceiver) takes Roster's real deliveries, signed with
// the endpoint's secret, and during a rotation with either secret; with
// another secret it refuses them, and Roster tries them again. Each
// delivery matches the OpenAPI document's webhook.
func TestReceiverExample(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var mu sync.Mutex
		var secret string // the receiver's
		verified := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			checkWebhook(t, r.Header, body)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || !webhookreceiver.Verify(secret, r, body) {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			verified++
		}))
		defer srv.Close()
		h := e.hook(srv.URL, "*")
		deliver := func(receiverSecret, email string) (delivered bool) {
			t.Helper()
			mu.Lock()
			secret, verified = receiverSecret, 0
			mu.Unlock()
			e.create(prefixes[0], map[string]any{"email": email, "display_name": "A"})
			e.dispatcher(local).DeliverDue(context.Background())
			mu.Lock()
			ok := verified == 1
			mu.Unlock()
			return ok && e.deliveries(h.ID).Deliveries[0].Status == "delivered"
		}
		if !deliver(h.Secret, "a@example.com") {
			t.Errorf("a delivery under the endpoint's secret was not verified")
		}
		rotated := decodeAs[struct{ Secret string }](t, e.do(req{Method: "POST", Path: "/admin-management/webhooks/" + h.ID + "/rotate-secret",
			Key: e.org.APIKey}), 200)
		if !deliver(h.Secret, "b@example.com") || !deliver(rotated.Secret, "c@example.com") {
			t.Errorf("during a rotation, a delivery was not verified under the old secret or the new one")
		}
		if deliver("whsec_"+base64.StdEncoding.EncodeToString(make([]byte, 32)), "d@example.com") {
			t.Errorf("a delivery was verified under another secret")
		}
		if d := e.deliveries(h.ID).Deliveries[0]; d.Status == "delivered" || d.LastStatusCode == nil || *d.LastStatusCode != http.StatusUnauthorized {
			t.Errorf("the refused delivery: %+v", d)
		}
	})
}
