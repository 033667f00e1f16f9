package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/keyring"
	"roster/webhook"
)

// Webhooks is what the webhook routes need: the keyring that seals the
// endpoints' secrets, the policy their URLs must follow, and the
// dispatcher to wake when a delivery is due again (nil: none to wake).
type Webhooks struct {
	Keyring    *keyring.Ring
	Policy     webhook.Policy
	Dispatcher Notifier
}

// webhookJSON is an endpoint as its list shows it; Secret only in the
// answer that creates or rotates it.
type webhookJSON struct {
	ID                  string   `json:"id"`
	URL                 string   `json:"url"`
	Events              []string `json:"events"`
	CreatedAt           string   `json:"created_at"`
	DisabledAt          *string  `json:"disabled_at"`
	DisabledReason      string   `json:"disabled_reason,omitempty"`
	PreviousSecretUntil *string  `json:"previous_secret_expires_at,omitempty"`
	Secret              string   `json:"secret,omitempty"`
}

func toWebhookJSON(w roster.Webhook) webhookJSON {
	return webhookJSON{ID: w.UID, URL: w.URL, Events: w.Events, CreatedAt: timeJSON(w.CreatedAt),
		DisabledAt: timePtrJSON(w.DisabledAt), DisabledReason: w.DisabledReason,
		PreviousSecretUntil: timePtrJSON(w.PreviousSecretUntil)}
}

func timePtrJSON(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := timeJSON(*t)
	return &s
}

// createWebhook registers an endpoint and answers its secret, once.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	f, err := readJSONOnly(w, r)
	if err != nil {
		return err
	}
	url, err := takeString(f, "url")
	if err != nil {
		return err
	}
	events, err := roster.ParseWebhookEvents(f["events"])
	if err != nil {
		return err
	}
	delete(f, "events")
	for k := range f {
		return invalid("%s: unknown field; accepted: url, events", k)
	}
	if err := s.webhooks.Policy.CheckURL(r.Context(), url); err != nil {
		return err
	}
	secret, sealed, err := s.newWebhookSecret()
	if err != nil {
		return err
	}
	p := principal(r)
	hook, err := s.store.CreateWebhook(r.Context(), p.OrgID,
		roster.Webhook{UID: roster.NewUID(s.clock()), URL: url, Events: events}, sealed)
	if err != nil {
		return err
	}
	out := toWebhookJSON(hook)
	out.Secret = secret
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// newWebhookSecret returns a new signing secret and its sealed form.
func (s *Server) newWebhookSecret() (secret, sealed string, err error) {
	if s.webhooks.Keyring == nil {
		return "", "", fmt.Errorf("api: webhooks need a keyring")
	}
	secret = roster.NewWebhookSecret()
	return secret, s.webhooks.Keyring.Seal(webhook.SecretName, secret), nil
}

// listWebhooks answers the organization's endpoints, at most
// roster.MaxWebhooks of them, without their secrets.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	if _, err := params(r, nil); err != nil {
		return err
	}
	list, err := s.store.Webhooks(r.Context(), principal(r).OrgID)
	if err != nil {
		return err
	}
	out := make([]webhookJSON, len(list))
	for i, h := range list {
		out[i] = toWebhookJSON(h)
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
	return nil
}

// webhookID is the {id} of the path; one of no endpoint's shape is unknown.
func webhookID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !roster.IsNewUID(id) {
		return "", roster.Errorf(roster.KindNotFound, "webhook not found")
	}
	return id, nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteWebhook(r.Context(), principal(r).OrgID, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"Webhook deleted."})
	return nil
}

// rotateWebhookSecret answers a new secret, once; the old one still signs
// for roster.WebhookSecretTTL.
func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	secret, sealed, err := s.newWebhookSecret()
	if err != nil {
		return err
	}
	until, err := s.store.RotateWebhookSecret(r.Context(), principal(r).OrgID, id, sealed)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id, "secret": secret, "previous_secret_expires_at": timeJSON(until)})
	return nil
}

// deliveryJSON is one event's delivery to an endpoint.
type deliveryJSON struct {
	ID            string        `json:"id"`
	Type          string        `json:"type"`
	OccurredAt    string        `json:"occurred_at"`
	Attempts      int           `json:"attempts"` // all of them, LastAttempts the newest
	Status        string        `json:"status"`   // pending, delivered or dead
	LastStatus    *int          `json:"last_status_code"`
	LastError     string        `json:"last_error"`
	LastAttemptAt *string       `json:"last_attempt_at"`
	NextAttemptAt *string       `json:"next_attempt_at"`
	DeliveredAt   *string       `json:"delivered_at"`
	DeadAt        *string       `json:"dead_at"`
	LastAttempts  []attemptJSON `json:"last_attempts"`
}

func toDeliveryJSON(d roster.WebhookDelivery) deliveryJSON {
	j := deliveryJSON{ID: d.ID, Type: d.Type, OccurredAt: timeJSON(d.OccurredAt), Attempts: d.Attempts, Status: "pending",
		LastStatus: statusJSON(d.LastStatus), LastError: d.LastError, LastAttemptAt: timePtrJSON(d.LastAttemptAt),
		NextAttemptAt: timePtrJSON(d.NextAttemptAt), DeliveredAt: timePtrJSON(d.DeliveredAt), DeadAt: timePtrJSON(d.DeadAt),
		LastAttempts: toAttemptsJSON(d.LastAttempts)}
	switch {
	case d.DeliveredAt != nil:
		j.Status = "delivered"
	case d.DeadAt != nil:
		j.Status = "dead"
	}
	return j
}

// statusJSON is a receiver's HTTP status, null when none answered.
func statusJSON(status int) *int {
	if status == 0 {
		return nil
	}
	return &status
}

// attemptJSON is one attempt at a delivery.
type attemptJSON struct {
	Number      int    `json:"number"`
	AttemptedAt string `json:"attempted_at"`
	StatusCode  *int   `json:"status_code"`
	Error       string `json:"error"`
	DurationMS  int64  `json:"duration_ms"`
}

func toAttemptsJSON(list []roster.WebhookAttempt) []attemptJSON {
	out := make([]attemptJSON, len(list))
	for i, a := range list {
		out[i] = attemptJSON{Number: a.Number, AttemptedAt: timeJSON(a.At), StatusCode: statusJSON(a.Status), Error: a.Error,
			DurationMS: a.Duration.Milliseconds()}
	}
	return out
}

// webhookDeliveries answers an endpoint's deliveries, newest first, a
// keyset page at a time: next_before_id is the before_id of the next page.
func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	limit, before, err := beforePage(r, defaultAuditLimit, validDeliveryID, "a delivery's id, msg_ and 20 letters and digits")
	if err != nil {
		return err
	}
	list, err := s.store.WebhookDeliveries(r.Context(), principal(r).OrgID, id, before, limit+1)
	if err != nil {
		return err
	}
	list, next := nextPage(list, limit, func(d roster.WebhookDelivery) string { return d.ID })
	out := struct {
		Deliveries   []deliveryJSON `json:"deliveries"`
		NextBeforeID string         `json:"next_before_id"`
	}{Deliveries: make([]deliveryJSON, len(list)), NextBeforeID: next}
	for i, d := range list {
		out.Deliveries[i] = toDeliveryJSON(d)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func validDeliveryID(id string) bool {
	uid, ok := strings.CutPrefix(id, roster.WebhookIDPrefix)
	return ok && roster.IsNewUID(uid)
}

// deliveryIDs are the {id} and {delivery_id} of the path. One answer for
// an unknown endpoint and an unknown delivery: neither tells which of the
// two ids names something.
func deliveryIDs(r *http.Request) (id, delivery string, err error) {
	id, delivery = r.PathValue("id"), r.PathValue("delivery_id")
	if !roster.IsNewUID(id) || !validDeliveryID(delivery) {
		return "", "", roster.Errorf(roster.KindNotFound, "webhook delivery not found")
	}
	return id, delivery, nil
}

// webhookAttempts answers the kept attempts at one delivery, newest first,
// a keyset page at a time: next_before_id is the before_id of the next
// page, an attempt's number. The default page has all that are kept.
func (s *Server) webhookAttempts(w http.ResponseWriter, r *http.Request) error {
	id, delivery, err := deliveryIDs(r)
	if err != nil {
		return err
	}
	limit, before, err := beforePage(r, roster.WebhookAttemptsKept, validAttemptNumber, "an attempt's number, an integer from 1")
	if err != nil {
		return err
	}
	number, _ := strconv.Atoi(before) // checked; 0 when absent: from the newest
	list, err := s.store.WebhookAttempts(r.Context(), principal(r).OrgID, id, delivery, number, limit+1)
	if err != nil {
		return err
	}
	list, next := nextPage(list, limit, func(a roster.WebhookAttempt) string { return strconv.Itoa(a.Number) })
	writeJSON(w, http.StatusOK, struct {
		Attempts     []attemptJSON `json:"attempts"`
		NextBeforeID string        `json:"next_before_id"`
	}{toAttemptsJSON(list), next})
	return nil
}

// validAttemptNumber accepts an attempt's number as next_before_id writes
// it: decimal, without sign or leading zeros, from 1 to math.MaxInt32.
func validAttemptNumber(s string) bool {
	n, err := strconv.ParseInt(s, 10, 32)
	return err == nil && n > 0 && strconv.FormatInt(n, 10) == s
}

// retryWebhookDelivery makes a delivery due now, with its webhook-id and
// body unchanged.
func (s *Server) retryWebhookDelivery(w http.ResponseWriter, r *http.Request) error {
	id, delivery, err := deliveryIDs(r)
	if err != nil {
		return err
	}
	d, err := s.store.RetryWebhookDelivery(r.Context(), principal(r).OrgID, id, delivery)
	if err != nil {
		return err
	}
	if s.webhooks.Dispatcher != nil {
		s.webhooks.Dispatcher.Notify()
	}
	writeJSON(w, http.StatusOK, toDeliveryJSON(d))
	return nil
}

// RenderWebhook is the data of an event's body: the object its snapshot
// keeps, as the API shows it, with the organization's uid.
func (s *Server) RenderWebhook(ctx context.Context, j *roster.WebhookJob) (any, error) {
	prefix, _, _ := strings.Cut(j.Type, ".")
	switch prefix {
	case "client":
		var c roster.Client
		if err := json.Unmarshal(j.Snapshot, &c); err != nil {
			return nil, err
		}
		if c.CreatedAt.IsZero() { // an imported client's uid only
			read, err := s.store.Client(ctx, j.OrgID, c.UID)
			if errors.Is(err, roster.ErrClientNotFound) {
				// Deleted since this attempt was claimed: the delete gave
				// the event the client's snapshot, which the next reads.
				return nil, fmt.Errorf("client %s was deleted meanwhile: the next attempt sends it as it was deleted", c.UID)
			}
			if err != nil {
				return nil, err
			}
			c = read
		}
		if j.Type == roster.EventClientDeleted {
			c.ProfilePhoto = "" // deleted with the client: a link would lead nowhere
		}
		return withOrg(toJSON(&c, s.photoURL(), false), j.OrgUID)
	case "session":
		var a roster.AnalysisSession
		if err := json.Unmarshal(j.Snapshot, &a); err != nil {
			return nil, err
		}
		if string(a.Metrics) == "null" { // none, as json.RawMessage reads it back
			a.Metrics = nil
		}
		return withOrg(toAnalysisSessionJSON(&a), j.OrgUID)
	case "staff":
		var m roster.StaffMember
		if err := json.Unmarshal(j.Snapshot, &m); err != nil {
			return nil, err
		}
		return withOrg(toStaffJSON(m, true), j.OrgUID)
	case "invitation":
		var inv roster.Invitation
		if err := json.Unmarshal(j.Snapshot, &inv); err != nil {
			return nil, err
		}
		// The token answers the invitation: a receiver is no party to it.
		inv.Token, inv.OrgUID = "", j.OrgUID
		return toInvitationJSON(inv), nil
	}
	return nil, fmt.Errorf("api: no rendering of webhook event %q", j.Type)
}

// withOrg is v's JSON object with organization_uid added.
func withOrg(v any, orgUID string) (json.RawMessage, error) {
	b, err := marshalJSON(v)
	if err != nil {
		return nil, err
	}
	org, err := marshalJSON(orgUID)
	if err != nil {
		return nil, err
	}
	b = append(append(append(b[:len(b)-1:len(b)-1], `,"organization_uid":`...), org...), '}')
	return b, nil
}
