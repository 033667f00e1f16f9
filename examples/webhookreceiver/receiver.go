// Package webhookreceiver is the webhook receiver that README.md shows
// under "Webhooks": Verify is the README's block line for line (checked by
// internal/readme's TestReceiverExample), so that the example compiles and
// its tests, and package api's against real deliveries, run it.
package webhookreceiver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Verify reports whether r, whose body is body, is a delivery signed with
// secret (whsec_…) within 5 minutes of now, as the Standard Webhooks
// specification says to check one.
func Verify(secret string, r *http.Request, body []byte) bool {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), body)
	want := []byte("v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	sigs := strings.Fields(r.Header.Get("webhook-signature")) // two while a secret is rotated
	sent, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	return time.Since(time.Unix(sent, 0)).Abs() < 5*time.Minute && // further off: a replay, maybe
		slices.ContainsFunc(sigs, func(s string) bool { return hmac.Equal([]byte(s), want) })
}
