package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roster"
	"roster/api"
	"roster/auth"
	"roster/webhook"
)

// received is one request a receiver got.
type received struct {
	ID, Timestamp string
	Signatures    []string
	Body          []byte
	Event         struct {
		Type      string
		Timestamp string
		Data      map[string]any
	}
}

// hangUp, among a receiver's answers, closes the connection without one.
const hangUp = -1

// receiver is a real HTTP server on 127.0.0.1 that records what it gets
// and answers the statuses it is told to, in order, then 200.
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	answer []int
}

func newReceiver(t testing.TB, answer ...int) *receiver {
	rc := &receiver{t: t, answer: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g := received{ID: r.Header.Get("webhook-id"), Timestamp: r.Header.Get("webhook-timestamp"),
			Signatures: strings.Fields(r.Header.Get("webhook-signature")), Body: body}
		if err := json.Unmarshal(body, &g.Event); err != nil {
			t.Errorf("webhook body %s: %v", body, err)
		}
		checkWebhook(t, r.Header, body) // every delivery of every test, as the document says
		rc.mu.Lock()
		rc.got = append(rc.got, g)
		status := 200
		if len(rc.answer) > 0 {
			status, rc.answer = rc.answer[0], rc.answer[1:]
		}
		rc.mu.Unlock()
		if status == hangUp {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("hanging up: %v", err)
				return
			}
			conn.Close()
			return
		}
		w.WriteHeader(status)
		io.WriteString(w, strings.Repeat("x", 3000)) // more than is kept
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// signedBy reports whether sig is the Standard Webhooks signature of g
// under secret.
func signedBy(t testing.TB, g received, sig, secret string) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(g.ID + "." + g.Timestamp + "." + string(g.Body)))
	return sig == "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type hookJSON struct {
	ID, URL, Secret string
	Events          []string
	CreatedAt       string  `json:"created_at"`
	DisabledAt      *string `json:"disabled_at"`
}

// hook registers url for events as the organization's Owner, by API key.
func (e *env) hook(url string, events ...string) hookJSON {
	e.t.Helper()
	return decodeAs[hookJSON](e.t, e.json("POST", "/admin-management/webhooks/", map[string]any{"url": url, "events": events}), 201)
}

type deliveryPage struct {
	Deliveries []struct {
		ID, Type, Status string
		Attempts         int
		LastStatusCode   *int          `json:"last_status_code"`
		LastError        string        `json:"last_error"`
		NextAttemptAt    *string       `json:"next_attempt_at"`
		LastAttempts     []attemptJSON `json:"last_attempts"`
	}
	NextBeforeID string `json:"next_before_id"`
}

func (e *env) deliveries(hookID string) deliveryPage {
	e.t.Helper()
	return decodeAs[deliveryPage](e.t, e.get("/admin-management/webhooks/"+hookID+"/deliveries"), 200)
}

type attemptJSON struct {
	Number      int    `json:"number"`
	AttemptedAt string `json:"attempted_at"`
	StatusCode  *int   `json:"status_code"`
	Error       string `json:"error"`
	DurationMS  int64  `json:"duration_ms"`
}

type attemptPage struct {
	Attempts     []attemptJSON `json:"attempts"`
	NextBeforeID string        `json:"next_before_id"`
}

// attempts reads a page of one delivery's attempts; query is the page's.
func (e *env) attempts(hookID, deliveryID, query string) attemptPage {
	e.t.Helper()
	return decodeAs[attemptPage](e.t, e.get("/admin-management/webhooks/"+hookID+"/deliveries/"+deliveryID+"/attempts"+query), 200)
}

// numbers are the attempts' numbers, in their order.
func numbers(list []attemptJSON) []int {
	out := make([]int, len(list))
	for i, a := range list {
		out[i] = a.Number
	}
	return out
}

// dispatcher delivers e's events on e's clock, with policy, configured
// further by options.
func (e *env) dispatcher(policy webhook.Policy, options ...func(*webhook.Config)) *webhook.Dispatcher {
	e.t.Helper()
	c := webhook.Config{Keyring: testRing, Render: api.New(e.st, e.cfg).RenderWebhook,
		Policy: policy, Now: e.clock.Now, Log: discardLog}
	for _, o := range options {
		o(&c)
	}
	d, err := webhook.New(e.st, c)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// local lets deliveries reach the tests' receivers on 127.0.0.1.
var local = webhook.Policy{AllowHTTP: true, AllowPrivate: true}

// TestWebhooksDeliverEveryEventSigned makes every event through the API
// and checks that each is delivered signed, in order, with data that is
// field by field what the API's GET of the object shows at the change.
func TestWebhooksDeliverEveryEventSigned(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		h := e.hook(rc.srv.URL+"/hooks", "*")
		if !strings.HasPrefix(h.Secret, "whsec_") || len(h.Secret) != len("whsec_")+44 || h.URL != rc.srv.URL+"/hooks" {
			t.Fatalf("created %+v", h)
		}
		var want []sent
		expectEvent := func(typ string, data map[string]any) { want = append(want, sent{typ, data}) }
		// Every event, each through the API.
		p := prefixes[0]
		c := e.create(p, map[string]any{"email": "ann@example.com", "display_name": "Ann", "phone": "+15550100",
			"age": 31, "gender": "female", "height": 170, "shoeSize": "8.5", "preferable_activities": []string{"Running"},
			"external_id": "crm-1"})
		expectEvent(roster.EventClientCreated, e.shownClient(p, c.UserUID))
		expect(t, e.json("PUT", p+"/", map[string]any{"user_uid": c.UserUID, "display_name": "Ann B"}), 200)
		expectEvent(roster.EventClientUpdated, e.shownClient(p, c.UserUID))
		badSaveNote(e, e.org.APIKey, p, c.UserUID, "secret note")
		expectEvent(roster.EventClientNoteSaved, e.shownClient(p, c.UserUID))
		expect(t, e.json("POST", p+"/deactivate/", map[string]string{"user_uid": c.UserUID}), 200)
		expectEvent(roster.EventClientDeactivated, e.shownClient(p, c.UserUID))
		expect(t, e.json("POST", p+"/reactivate/", map[string]string{"user_uid": c.UserUID}), 200)
		expectEvent(roster.EventClientReactivated, e.shownClient(p, c.UserUID))
		e.setOrg(e.org, quota(5))
		expect(t, e.json("POST", p+"/"+c.UserUID+"/sessions", map[string]any{"activity": "Running", "duration": 60}), 201)
		sessions := decodeAs[struct{ Sessions []map[string]any }](t, e.get(p+"/"+c.UserUID+"/sessions"), 200).Sessions
		if len(sessions) != 1 {
			t.Fatalf("sessions %v", sessions)
		}
		expectEvent(roster.EventSessionRecorded, e.withOrg(sessions[0]))
		// A deleted client is announced as it was, and is then gone.
		expectEvent(roster.EventClientDeleted, e.shownClient(p, c.UserUID))
		expect(t, e.json("DELETE", p+"/", map[string]string{"user_uid": c.UserUID}), 200)
		expect(t, e.get(p+"/"+c.UserUID), 404)

		inv := e.invite(e.org.APIKey, "admin@example.com")
		tokens := []string{inv.InviteToken}
		invited := e.shownInvitation(inv.InviteToken)
		expectEvent(roster.EventInvitationCreated, invited)
		admin := e.signup("admin@example.com")
		expect(t, e.as(admin.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": inv.InviteToken, "user_response": "accept"}), 200)
		expectEvent(roster.EventStaffJoined, e.shownStaff(admin.UID))
		// An answered invitation is listed no more: the event shows it as
		// it was listed, answered.
		expectEvent(roster.EventInvitationAccepted, with(invited, "status", roster.InvitationAccepted))
		expect(t, e.json("POST", "/admin-management/sub-admins/deactivate/", map[string]string{"user_uid": admin.UID}), 200)
		deactivated := e.shownStaff(admin.UID)
		if deactivated["status"] != roster.StaffDeactivated {
			t.Errorf("a deactivated member listed as %v", deactivated)
		}
		expectEvent(roster.EventStaffDeactivated, deactivated)
		// A removed member is listed no more: the event shows them as they
		// were listed, with the status Removed.
		expect(t, e.json("DELETE", "/admin-management/sub-admins/", map[string]string{"user_uid": admin.UID}), 200)
		expectEvent(roster.EventStaffRemoved, with(deactivated, "status", roster.StaffRemoved))
		if subs := e.staff(e.org.APIKey, "/admin-management/sub-admins/"); len(subs.Users) != 1 || subs.Users[0].UID == admin.UID {
			t.Errorf("after the removal: %+v", subs)
		}
		inv = e.invite(e.org.APIKey, "no@example.com")
		tokens = append(tokens, inv.InviteToken)
		invited = e.shownInvitation(inv.InviteToken)
		expectEvent(roster.EventInvitationCreated, invited)
		no := e.signup("no@example.com")
		expect(t, e.as(no.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": inv.InviteToken, "user_response": "decline"}), 200)
		expectEvent(roster.EventInvitationDeclined, with(invited, "status", roster.InvitationDeclined))

		// Nothing leaves before the dispatcher runs; then everything does.
		if got := rc.received(); len(got) != 0 {
			t.Fatalf("received before dispatch: %d", len(got))
		}
		e.dispatcher(local).DeliverDue(context.Background())
		got := rc.received()
		var types []string
		for i, g := range got {
			types = append(types, g.Event.Type)
			if len(g.Signatures) != 1 || !signedBy(t, g, g.Signatures[0], h.Secret) {
				t.Errorf("%s: signature %q does not verify", g.Event.Type, g.Signatures)
			}
			if !strings.HasPrefix(g.ID, "msg_") || g.Timestamp != e.clockUnix() {
				t.Errorf("%s: webhook-id %q, webhook-timestamp %q", g.Event.Type, g.ID, g.Timestamp)
			}
			if strings.Contains(string(g.Body), "secret note") || slices.ContainsFunc(tokens, func(token string) bool {
				return strings.Contains(string(g.Body), token)
			}) {
				t.Errorf("%s: the note's text or an invitation's token was sent: %s", g.Event.Type, g.Body)
			}
			if i < len(want) {
				sameData(t, g, want[i])
			}
		}
		if len(got) != len(want) {
			t.Errorf("received %d events %v, want %d", len(got), types, len(want))
		}
		for _, want := range roster.Events {
			if !slices.Contains(types, want) {
				t.Errorf("no %s event among %v", want, types)
			}
		}
		// The deliveries are listed, delivered, newest first.
		page := e.deliveries(h.ID)
		if len(page.Deliveries) != len(got) || page.Deliveries[0].ID != got[len(got)-1].ID ||
			page.Deliveries[0].Status != "delivered" || *page.Deliveries[0].LastStatusCode != 200 {
			t.Errorf("deliveries %+v", page)
		}
	})
}

// sent is an event a receiver should get: its type and data.
type sent struct {
	Type string
	Data map[string]any
}

// sameData checks that g is the event want, field by field.
func sameData(t testing.TB, g received, want sent) {
	t.Helper()
	if g.Event.Type != want.Type {
		t.Errorf("event %s, want %s", g.Event.Type, want.Type)
		return
	}
	for k, v := range want.Data {
		if got, ok := g.Event.Data[k]; !ok || !reflect.DeepEqual(got, v) {
			t.Errorf("%s: data.%s is %#v, want %#v as the API shows it", want.Type, k, got, v)
		}
	}
	for k, v := range g.Event.Data {
		if _, ok := want.Data[k]; !ok {
			t.Errorf("%s: data.%s is %#v, which the API does not show", want.Type, k, v)
		}
	}
}

// withOrg is an object the API shows, as a webhook's data shows it: with
// the organization's uid.
func (e *env) withOrg(shown map[string]any) map[string]any {
	return with(shown, "organization_uid", e.org.UID)
}

// with is a copy of m with k set to v.
func with(m map[string]any, k string, v any) map[string]any {
	m = maps.Clone(m)
	m[k] = v
	return m
}

// shownClient is a client as its details show it, as a webhook's data
// shows it: without its note, with organization_uid.
func (e *env) shownClient(prefix, uid string) map[string]any {
	e.t.Helper()
	c := decodeAs[map[string]any](e.t, e.get(prefix+"/"+uid), 200)
	delete(c, "notes")
	return e.withOrg(c)
}

// shownStaff is a staff member as the sub-admins list shows them, with
// organization_uid.
func (e *env) shownStaff(uid string) map[string]any {
	e.t.Helper()
	list := decodeAs[struct{ Users []map[string]any }](e.t, e.get("/admin-management/sub-admins/"), 200)
	for _, m := range list.Users {
		if m["uid"] == uid {
			return e.withOrg(m)
		}
	}
	e.t.Fatalf("%s is not in the sub-admins list %v", uid, list)
	return nil
}

// shownInvitation is a pending invitation as the Owner's invitation list
// shows it, without its token, which no webhook sends.
func (e *env) shownInvitation(token string) map[string]any {
	e.t.Helper()
	list := decodeAs[struct{ Invitations []map[string]any }](e.t, e.get("/admin-management/invitation/"), 200)
	for _, inv := range list.Invitations {
		if inv["invite_token"] == token {
			delete(inv, "invite_token")
			return inv
		}
	}
	e.t.Fatalf("invitation %s is not in the list %v", token, list)
	return nil
}

func (e *env) clockUnix() string { return strconv.FormatInt(e.clock.Now().Unix(), 10) }

func TestWebhookRetriesSendTheSameEvent(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t, 500)
		h := e.hook(rc.srv.URL, roster.EventClientCreated)
		e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		d := e.dispatcher(local)
		ctx := context.Background()
		if n := d.DeliverDue(ctx); n != 1 {
			t.Fatalf("first pass: %d attempts", n)
		}
		page := e.deliveries(h.ID)
		first := page.Deliveries[0]
		if first.Status != "pending" || *first.LastStatusCode != 500 || first.Attempts != 1 || first.NextAttemptAt == nil ||
			!strings.HasPrefix(first.LastError, "500") || len(first.LastError) > 1100 {
			t.Fatalf("after the 500: %+v", first)
		}
		// Not due again before its back-off; due within a minute.
		if n := d.DeliverDue(ctx); n != 0 {
			t.Fatalf("retried at once: %d", n)
		}
		e.clock.Advance(59 * time.Second)
		if n := d.DeliverDue(ctx); n != 1 {
			t.Fatalf("not retried within a minute: %d", n)
		}
		got := rc.received()
		if len(got) != 2 || got[0].ID != got[1].ID || string(got[0].Body) != string(got[1].Body) || got[0].Timestamp == got[1].Timestamp {
			t.Fatalf("the retry is not the same event: %+v", got)
		}
		if !signedBy(t, got[1], got[1].Signatures[0], h.Secret) {
			t.Error("the retry's signature does not verify")
		}
		if d := e.deliveries(h.ID).Deliveries[0]; d.Status != "delivered" || d.Attempts != 2 || d.NextAttemptAt != nil {
			t.Errorf("after the retry: %+v", d)
		}
		// A delivered event is sent again on request, unchanged.
		r := e.do(req{Method: "POST", Path: "/admin-management/webhooks/" + h.ID + "/deliveries/" + got[0].ID + "/retry", Key: e.org.APIKey})
		expect(t, r, 200)
		d.DeliverDue(ctx)
		if got := rc.received(); len(got) != 3 || got[2].ID != got[0].ID || string(got[2].Body) != string(got[0].Body) {
			t.Errorf("the manual retry: %+v", got)
		}
	})
}

func TestWebhookGivesUpAfterThreeDays(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t, slices.Repeat([]int{503}, 100)...)
		h := e.hook(rc.srv.URL, "*")
		e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		d := e.dispatcher(local)
		for range 40 {
			d.DeliverDue(context.Background())
			e.clock.Advance(4 * time.Hour)
		}
		got := e.deliveries(h.ID).Deliveries[0]
		if got.Status != "dead" || got.Attempts < 5 || got.Attempts > 30 {
			t.Errorf("after 3 days of 503s: %+v", got)
		}
	})
}

func TestWebhook410DisablesTheEndpoint(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t, 410)
		h := e.hook(rc.srv.URL, "*")
		e.create(prefixes[0], map[string]any{"email": "a@example.com", "display_name": "A"})
		e.create(prefixes[0], map[string]any{"email": "b@example.com", "display_name": "B"})
		e.dispatcher(local).DeliverDue(context.Background())
		if got := rc.received(); len(got) != 1 {
			t.Fatalf("sent %d after a 410, want 1", len(got))
		}
		list := decodeAs[struct{ Webhooks []hookJSON }](t, e.get("/admin-management/webhooks/"), 200)
		if len(list.Webhooks) != 1 || list.Webhooks[0].DisabledAt == nil || list.Webhooks[0].Secret != "" {
			t.Fatalf("after a 410: %+v", list)
		}
		for _, d := range e.deliveries(h.ID).Deliveries {
			if d.Status != "dead" {
				t.Errorf("delivery %+v still pending", d)
			}
		}
		// A disabled endpoint gets no new events.
		e.create(prefixes[0], map[string]any{"email": "c@example.com", "display_name": "C"})
		if n := len(e.deliveries(h.ID).Deliveries); n != 2 {
			t.Errorf("%d deliveries, want 2", n)
		}
	})
}

func TestWebhookNothingFromARefusedChange(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		h := e.hook(rc.srv.URL, "*")
		c := e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		// A taken email, and a session the plan has none left for: both
		// refused, after part of their transaction ran.
		expect(t, e.json("POST", prefixes[0]+"/", map[string]any{"email": "ann@example.com", "display_name": "Twin"}), 400)
		e.setOrg(e.org, quota(0))
		r := e.json("POST", prefixes[0]+"/"+c.UserUID+"/sessions", map[string]any{"activity": "Running", "duration": 60})
		if r.Status < 400 {
			t.Fatalf("session recorded without quota: %d", r.Status)
		}
		e.dispatcher(local).DeliverDue(context.Background())
		if got := rc.received(); len(got) != 1 || got[0].Event.Type != roster.EventClientCreated {
			t.Errorf("received %+v, want only the client.created", got)
		}
		if n := len(e.deliveries(h.ID).Deliveries); n != 1 {
			t.Errorf("%d deliveries, want 1", n)
		}
	})
}

func TestWebhooksSurviveARestartAndGoOutOnce(t *testing.T) {
	eachTwoProcesses(t, func(t *testing.T, e, second *env) {
		rc := newReceiver(t)
		e.hook(rc.srv.URL, "*")
		// Concurrent creates, which the store writes in batches.
		statuses := make([]int, 12)
		var creates sync.WaitGroup
		for i := range statuses {
			creates.Go(func() {
				r, _ := http.NewRequest("POST", e.srv.URL+prefixes[0]+"/", strings.NewReader(`{"email":"`+strconv.Itoa(i)+`@example.com","display_name":"N"}`))
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("API-KEY", e.org.APIKey)
				if res, err := http.DefaultClient.Do(r); err == nil {
					statuses[i] = res.StatusCode
					res.Body.Close()
				}
			})
		}
		creates.Wait()
		if slices.ContainsFunc(statuses, func(s int) bool { return s != 201 }) {
			t.Fatalf("creates answered %v", statuses)
		}
		// The first process's dispatcher never ran; two others, on stores
		// of their own, share the events between them.
		var wg sync.WaitGroup
		for _, p := range []*env{e, second} {
			d := p.dispatcher(local)
			wg.Go(func() { d.DeliverDue(context.Background()) })
		}
		wg.Wait()
		got := rc.received()
		ids := map[string]int{}
		for _, g := range got {
			ids[g.ID]++
		}
		if len(got) != 12 || len(ids) != 12 {
			t.Errorf("received %d requests for %d events, want 12 of 12", len(got), len(ids))
		}
	})
}

func TestWebhookSecretRotation(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		h := e.hook(rc.srv.URL, roster.EventClientCreated)
		rotated := decodeAs[struct {
			Secret string
			Until  string `json:"previous_secret_expires_at"`
		}](t, e.do(req{Method: "POST", Path: "/admin-management/webhooks/" + h.ID + "/rotate-secret", Key: e.org.APIKey}), 200)
		if rotated.Secret == h.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
			t.Fatalf("rotated %+v", rotated)
		}
		d := e.dispatcher(local)
		e.create(prefixes[0], map[string]any{"email": "a@example.com", "display_name": "A"})
		d.DeliverDue(context.Background())
		e.clock.Advance(roster.WebhookSecretTTL + time.Second)
		e.create(prefixes[0], map[string]any{"email": "b@example.com", "display_name": "B"})
		d.DeliverDue(context.Background())
		got := rc.received()
		if len(got) != 2 || len(got[0].Signatures) != 2 || !signedBy(t, got[0], got[0].Signatures[0], rotated.Secret) ||
			!signedBy(t, got[0], got[0].Signatures[1], h.Secret) {
			t.Fatalf("during the rotation: %+v", got)
		}
		if len(got[1].Signatures) != 1 || !signedBy(t, got[1], got[1].Signatures[0], rotated.Secret) {
			t.Errorf("after 24 hours: %q", got[1].Signatures)
		}
	})
}

func TestWebhookURLsThatReachInsideAreRefused(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for url, why := range map[string]string{
			"https://127.0.0.1/x":       "loopback",
			"https://10.1.2.3/x":        "private",
			"https://169.254.169.254/x": "metadata",
			"https://[::1]/x":           "loopback",
			"https://[fd00:ec2::254]/x": "metadata",
			"https://100.64.0.1/x":      "private",
			"https://localhost/x":       "loopback",
			"http://example.com/x":      "https://",
			"https://u:p@example.com/x": "password",
			"ftp://example.com/x":       "scheme",
			"/relative":                 "absolute",
			"https://0.0.0.0/x":         "unspecified",
			"https://224.0.0.1/x":       "multicast",
		} {
			r := e.json("POST", "/admin-management/webhooks/", map[string]any{"url": url, "events": []string{"*"}})
			if r.Status != 400 || !strings.Contains(r.errorText(t), why) {
				t.Errorf("%s: %d %s, want a 400 saying %s", url, r.Status, r.Body, why)
			}
		}
		if list := decodeAs[struct{ Webhooks []hookJSON }](t, e.get("/admin-management/webhooks/"), 200); len(list.Webhooks) != 0 {
			t.Errorf("stored %+v", list)
		}
	}, func(c *api.Config) { c.Webhooks.Policy = webhook.Policy{} })
}

func TestWebhookDeliveryChecksTheAddressItConnectsTo(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		// The endpoint was let in (as a name that resolved to a public
		// address might be); at delivery, the name resolves to loopback.
		rc := newReceiver(t)
		h := e.hook(strings.Replace(rc.srv.URL, "127.0.0.1", "localhost", 1), "*")
		e.create(prefixes[0], map[string]any{"email": "a@example.com", "display_name": "A"})
		e.dispatcher(webhook.Policy{AllowHTTP: true}).DeliverDue(context.Background())
		if got := rc.received(); len(got) != 0 {
			t.Fatalf("delivered to loopback: %+v", got)
		}
		d := e.deliveries(h.ID).Deliveries[0]
		if d.Status != "pending" || !strings.Contains(d.LastError, "loopback") || d.LastStatusCode != nil {
			t.Errorf("delivery %+v", d)
		}
	})
}

func TestWebhookBadInput(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for body, want := range map[string]string{
			`{"events":["*"]}`:                                                               "url: required",
			`{"url":"https://example.com/x"}`:                                                "events: must be a non-empty list",
			`{"url":"https://example.com/x","events":[]}`:                                    "events: must be a non-empty list",
			`{"url":"https://example.com/x","events":"*"}`:                                   "events: must be a non-empty list",
			`{"url":"https://example.com/x","events":["client.made"]}`:                       "unknown event type client.made",
			`{"url":"https://example.com/x","events":[1]}`:                                   "unknown event type 1",
			`{"url":"https://example.com/x","events":["*","client.created"]}`:                "list it alone",
			`{"url":5,"events":["*"]}`:                                                       "url: must be a string",
			`{"url":"https://example.com/x","events":["*"],"x":1}`:                           "x: unknown field",
			`{"url":"https://example.com/` + strings.Repeat("a", 2000) + `","events":["*"]}`: "at most 2000 bytes",
			`[1]`: "",
		} {
			r := e.do(req{Method: "POST", Path: "/admin-management/webhooks/", Key: e.org.APIKey, ContentType: "application/json", Body: []byte(body)})
			if r.Status != 400 || !strings.Contains(r.errorText(t), want) {
				t.Errorf("%.80s: %d %s, want a 400 saying %q", body, r.Status, r.Body, want)
			}
		}
		big := `{"url":"https://example.com/` + strings.Repeat("a", 2<<20) + `","events":["*"]}`
		if r := e.do(req{Method: "POST", Path: "/admin-management/webhooks/", Key: e.org.APIKey, ContentType: "application/json", Body: []byte(big)}); r.Status != 413 {
			t.Errorf("a 2 MB body: %d", r.Status)
		}
		if list := decodeAs[struct{ Webhooks []hookJSON }](t, e.get("/admin-management/webhooks/"), 200); len(list.Webhooks) != 0 {
			t.Errorf("stored %+v", list)
		}
		// Admins may not; an unknown id is a 404.
		admin := e.subAdmin("admin@example.com")
		expect(t, e.as(admin.Token, "GET", "/admin-management/webhooks/", nil), 403)
		expect(t, e.as(admin.Token, "POST", "/admin-management/webhooks/", map[string]any{"url": "https://example.com/x", "events": []string{"*"}}), 403)
		expect(t, e.do(req{Method: "DELETE", Path: "/admin-management/webhooks/00000000000000000000", Key: e.org.APIKey}), 404)
		// Deleting works once.
		h := e.hook("https://example.com/x", "*")
		expect(t, e.do(req{Method: "DELETE", Path: "/admin-management/webhooks/" + h.ID, Key: e.org.APIKey}), 200)
		expect(t, e.do(req{Method: "DELETE", Path: "/admin-management/webhooks/" + h.ID, Key: e.org.APIKey}), 404)
	})
}

func TestWebhooksAnnounceImportedClientsOnceImported(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		h := e.hook(rc.srv.URL, roster.EventClientCreated)
		csv := "email,display_name,height\nimp1@example.com,Imp One,180\nimp2@example.com,Imp Two,\n"
		expect(t, e.do(req{Method: "POST", Path: prefixes[0] + "/import/", Key: e.org.APIKey, ContentType: "text/csv", Body: []byte(csv)}), 201)
		// An import the plan has no room for announces nothing.
		free := "Free"
		e.setOrg(e.org, roster.OrganizationUpdate{PaymentType: &free})
		rows := "email,display_name\n"
		for i := range roster.PlanClientLimits[free] {
			rows += "more" + strconv.FormatInt(i, 10) + "@example.com,More\n"
		}
		r := e.do(req{Method: "POST", Path: prefixes[0] + "/import/", Key: e.org.APIKey, ContentType: "text/csv", Body: []byte(rows)})
		if r.Status < 400 {
			t.Fatalf("import beyond the plan: %d %s", r.Status, r.Body)
		}
		shown := map[string]map[string]any{}
		for _, c := range decodeAs[struct{ Users []client }](t, e.get(prefixes[0]+"/"), 200).Users {
			shown[c.UserUID] = e.shownClient(prefixes[0], c.UserUID)
		}
		e.dispatcher(local).DeliverDue(context.Background())
		got := rc.received()
		for _, g := range got {
			if !signedBy(t, g, g.Signatures[0], h.Secret) {
				t.Errorf("imported: the signature of %s does not verify", g.Body)
			}
			sameData(t, g, sent{roster.EventClientCreated, shown[g.Event.Data["user_uid"].(string)]})
		}
		if len(got) != 2 || len(shown) != 2 {
			t.Errorf("announced %d of %d imported, want 2", len(got), len(shown))
		}
	})
}

// TestWebhookDeletedClientsAreSentAsTheyWere: client.deleted shows the
// client as its details did just before the delete, without the photo
// that went with it. An imported client's client.created, rendered at its
// first attempt, shows the client as it was deleted when the delete came
// before that attempt, and when it came during it, at the next attempt.
func TestWebhookDeletedClientsAreSentAsTheyWere(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		h := e.hook(rc.srv.URL, roster.EventClientCreated, roster.EventClientDeleted)
		p := prefixes[0]
		var want []sent
		withPhoto := badClientWithPhoto(e, p, "photo@example.com")
		shown := e.shownClient(p, withPhoto)
		want = append(want, sent{roster.EventClientCreated, shown})
		expect(t, e.json("DELETE", p+"/", map[string]string{"user_uid": withPhoto}), 200)
		want = append(want, sent{roster.EventClientDeleted, with(with(shown, "profile_photo", nil), "profile_photo_thumbnail", nil)})

		// Imported, changed, then deleted before any attempt.
		imported := e.importOne(p, "imp1@example.com")
		expect(t, e.json("PUT", p+"/", map[string]any{"user_uid": imported, "display_name": "Imp B"}), 200)
		shown = e.shownClient(p, imported)
		expect(t, e.json("DELETE", p+"/", map[string]string{"user_uid": imported}), 200)
		want = append(want, sent{roster.EventClientCreated, shown}, sent{roster.EventClientDeleted, shown})
		e.dispatcher(local).DeliverDue(context.Background())
		got := rc.received()
		for i := range min(len(got), len(want)) {
			sameData(t, got[i], want[i])
		}
		if len(got) != len(want) {
			t.Fatalf("received %d events, want %d", len(got), len(want))
		}

		// Imported, then deleted once an attempt has claimed its event and
		// before it renders the body.
		imported = e.importOne(p, "imp2@example.com")
		shown = e.shownClient(p, imported)
		render := api.New(e.st, e.cfg).RenderWebhook
		var deleted sync.Once
		d := e.dispatcher(local, func(c *webhook.Config) {
			c.Render = func(ctx context.Context, j *roster.WebhookJob) (any, error) {
				deleted.Do(func() { expect(t, e.json("DELETE", p+"/", map[string]string{"user_uid": imported}), 200) })
				return render(ctx, j)
			}
		})
		d.DeliverDue(context.Background()) // the client.created fails; the client.deleted goes
		if failed := e.deliveries(h.ID).Deliveries[1]; failed.Type != roster.EventClientCreated || failed.Status != "pending" ||
			!strings.Contains(failed.LastError, "deleted meanwhile") {
			t.Fatalf("the attempt during the delete: %+v", failed)
		}
		e.clock.Advance(webhook.Backoff(1))
		d.DeliverDue(context.Background())
		got = rc.received()[len(want):]
		if len(got) != 2 {
			t.Fatalf("received %d events, want 2", len(got))
		}
		sameData(t, got[0], sent{roster.EventClientDeleted, shown})
		sameData(t, got[1], sent{roster.EventClientCreated, shown})
	})
}

// importOne imports a client with email through prefix and returns its uid.
func (e *env) importOne(prefix, email string) string {
	e.t.Helper()
	csv := "email,display_name,height\n" + email + ",Imp,180\n"
	expect(e.t, e.do(req{Method: "POST", Path: prefix + "/import/", Key: e.org.APIKey, ContentType: "text/csv", Body: []byte(csv)}), 201)
	for _, c := range decodeAs[struct{ Users []client }](e.t, e.get(prefix+"/"), 200).Users {
		if c.Email == email {
			return c.UserUID
		}
	}
	e.t.Fatalf("imported %s is not listed", email)
	return ""
}

// TestWebhookShutdownGivesUpAnAttemptAndKeepsItDue runs a dispatcher's
// workers, shuts them down while a receiver holds an attempt, and finds
// the delivery due again at once, for the next start.
func TestWebhookShutdownGivesUpAnAttemptAndKeepsItDue(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		arrived := make(chan struct{})
		var first sync.Once
		var requests atomic.Int32
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			io.ReadAll(r.Body) // so that the server hears the dispatcher hang up
			first.Do(func() {
				close(arrived)
				<-r.Context().Done() // the first answers nothing until the dispatcher gives up
			})
		}))
		t.Cleanup(receiver.Close)
		h := e.hook(receiver.URL, "*")
		e.create(prefixes[0], map[string]any{"email": "a@example.com", "display_name": "A"})
		d := e.dispatcher(local)
		go d.Run(context.Background())
		<-arrived
		stopped, cancel := context.WithCancel(context.Background())
		cancel() // no grace: give up at once
		d.Shutdown(stopped)
		got := e.deliveries(h.ID).Deliveries[0]
		if got.Status != "pending" || got.Attempts != 1 || got.NextAttemptAt == nil || !strings.Contains(got.LastError, "canceled") {
			t.Fatalf("after the shutdown: %+v", got)
		}
		// The next start delivers it at once.
		if n := e.dispatcher(local).DeliverDue(context.Background()); n != 1 || requests.Load() != 2 {
			t.Fatalf("the next start made %d attempts, %d requests", n, requests.Load())
		}
		if got := e.deliveries(h.ID).Deliveries[0]; got.Status != "delivered" || got.Attempts != 2 {
			t.Errorf("after the next start: %+v", got)
		}
	})
}

// TestWebhookSlowReceiverIsCutOff: a receiver that never answers is cut
// off by the attempt's timeout, and the delivery is tried again after its
// back-off. The timeout is short here, so that the test does not wait ten
// seconds; it checks what became of the attempt, never how long it took.
func TestWebhookSlowReceiverIsCutOff(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done(): // the dispatcher hung up
			case <-release:
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) }) // before the server's Close, which waits for its handlers
		h := e.hook(srv.URL, "*")
		e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		d := e.dispatcher(local, func(c *webhook.Config) { c.Timeout = 200 * time.Millisecond })
		if n := d.DeliverDue(context.Background()); n != 1 {
			t.Fatalf("%d attempts, want 1", n)
		}
		got := e.deliveries(h.ID).Deliveries[0]
		next := e.clock.Now().Add(webhook.Backoff(1)).UTC().Format("2006-01-02T15:04:05.000Z")
		if got.Status != "pending" || got.Attempts != 1 || got.LastStatusCode != nil ||
			!strings.HasPrefix(got.LastError, "no answer within 200ms") || got.NextAttemptAt == nil || *got.NextAttemptAt != next {
			t.Errorf("after an attempt that got no answer: %+v, want it pending, due again at %s", got, next)
		}
	})
}

// TestWebhookDeliveriesAreKeptThirtyDays: delivered and dead deliveries
// are deleted once 30 days old, pending ones never.
func TestWebhookDeliveriesAreKeptThirtyDays(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ok, failing := newReceiver(t), newReceiver(t, slices.Repeat([]int{503}, 100)...)
		delivered := e.hook(ok.srv.URL, roster.EventClientCreated)
		dead := e.hook(failing.srv.URL, roster.EventClientCreated)
		e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		d := e.dispatcher(local)
		ctx := context.Background()
		for range 20 { // three days of retries, until the failing one is dead
			d.DeliverDue(ctx)
			e.clock.Advance(4 * time.Hour)
		}
		if got := e.deliveries(dead.ID).Deliveries; len(got) != 1 || got[0].Status != "dead" {
			t.Fatalf("not dead: %+v", got)
		}
		// Three weeks later a new event is pending at the failing endpoint.
		e.clock.Advance(21 * 24 * time.Hour)
		e.create(prefixes[0], map[string]any{"email": "bob@example.com", "display_name": "Bob"})
		if n, err := d.Prune(ctx); err != nil || n != 0 {
			t.Fatalf("pruned %d, %v before 30 days", n, err)
		}
		// 30 days after the dead one gave up, some 33 days after the event.
		e.clock.Advance(10 * 24 * time.Hour)
		ann := map[string]string{delivered.ID: e.deliveries(delivered.ID).Deliveries[1].ID, dead.ID: e.deliveries(dead.ID).Deliveries[1].ID}
		if n, err := d.Prune(ctx); err != nil || n != 2 {
			t.Fatalf("pruned %d, %v after 30 days, want the delivered and the dead one", n, err)
		}
		for hook, id := range ann { // the store's tests count their rows
			badWant(t, e.get("/admin-management/webhooks/"+hook+"/deliveries/"+id+"/attempts"), 404, "webhook delivery not found")
		}
		if got := e.deliveries(delivered.ID).Deliveries; len(got) != 1 || got[0].Status != "pending" {
			t.Errorf("the delivered endpoint keeps %+v, want only Bob's pending delivery", got)
		}
		if got := e.deliveries(dead.ID).Deliveries; len(got) != 1 || got[0].Status != "pending" {
			t.Errorf("the failing endpoint keeps %+v, want only Bob's pending delivery", got)
		}
	})
}

// TestWebhooksOfARevokedKeyAreDisabled: an endpoint an API key created is
// disabled, with its pending deliveries, when the key is revoked, so that
// a leaked key cannot leave a receiver of the organization's changes
// behind it; a retry does not enable it again. One a person created stays.
func TestWebhooksOfARevokedKeyAreDisabled(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		owner := e.ownerToken(e.org.OwnerEmail)
		key := e.newAPIKey(owner, "integration")
		byKey := decodeAs[hookJSON](t, e.do(req{Method: "POST", Path: "/admin-management/webhooks/", Key: key,
			ContentType: "application/json", Body: []byte(`{"url": "` + rc.srv.URL + `/key", "events": ["*"]}`)}), 201)
		byPerson := decodeAs[hookJSON](t, e.as(owner, "POST", "/admin-management/webhooks/",
			map[string]any{"url": rc.srv.URL + "/person", "events": []string{"*"}}), 201)
		e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		pending := e.deliveries(byKey.ID).Deliveries
		if len(pending) != 1 || pending[0].Status != "pending" {
			t.Fatalf("before the revocation: %+v", pending)
		}

		keyID, _, _ := auth.SplitAPIKey(key)
		expect(t, e.as(owner, "DELETE", "/auth/api-keys/"+keyID, nil), 200)
		hooks := decodeAs[struct{ Webhooks []hookJSON }](t, e.get("/admin-management/webhooks/"), 200).Webhooks
		for _, h := range hooks {
			if disabled := h.DisabledAt != nil; disabled != (h.ID == byKey.ID) {
				t.Errorf("%s (%s): disabled %v", h.ID, h.URL, disabled)
			}
		}
		if got := e.deliveries(byKey.ID).Deliveries; len(got) != 1 || got[0].Status != "dead" ||
			!strings.Contains(got[0].LastError, "API key that created it was revoked") {
			t.Errorf("the revoked key's pending delivery: %+v", got)
		}
		badWant(t, e.json("POST", "/admin-management/webhooks/"+byKey.ID+"/deliveries/"+pending[0].ID+"/retry", nil),
			409, "API key that created it was revoked")

		e.create(prefixes[0], map[string]any{"email": "bob@example.com", "display_name": "Bob"})
		e.dispatcher(local).DeliverDue(context.Background())
		if got := rc.received(); len(got) != 2 {
			t.Errorf("received %d events, want Ann's and Bob's at the person's endpoint only", len(got))
		}
		if got := e.deliveries(byPerson.ID).Deliveries; len(got) != 2 || got[0].Status != "delivered" {
			t.Errorf("the person's endpoint: %+v", got)
		}
		if got := e.deliveries(byKey.ID).Deliveries; len(got) != 1 {
			t.Errorf("a disabled endpoint got a new event: %+v", got)
		}
	})
}

// TestWebhookRetryKeepsTheLease: a retry asked for while another
// dispatcher makes an attempt does not start a second one at once.
func TestWebhookRetryKeepsTheLease(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		h := e.hook(rc.srv.URL, "*")
		e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		// Another process claims it and is still at work.
		job, ok, err := e.st.ClaimWebhook(context.Background(), e.clock.Now(), time.Minute)
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		expect(t, e.json("POST", "/admin-management/webhooks/"+h.ID+"/deliveries/"+job.WebhookID+"/retry", nil), 200)
		d := e.dispatcher(local)
		if n := d.DeliverDue(context.Background()); n != 0 {
			t.Fatalf("%d attempts while another holds the lease", n)
		}
		e.clock.Advance(time.Minute)
		if n := d.DeliverDue(context.Background()); n != 1 || len(rc.received()) != 1 {
			t.Errorf("after the lease: %d attempts, %d received", n, len(rc.received()))
		}
	})
}

// TestWebhookAnswerWithNULIsRecorded: a receiver's answer is kept as
// text PostgreSQL takes, so that the attempt's outcome, and its back-off,
// are recorded whatever the receiver sent.
func TestWebhookAnswerWithNULIsRecorded(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			io.WriteString(w, "oops\x00bad\xff")
		}))
		t.Cleanup(srv.Close)
		h := e.hook(srv.URL, "*")
		e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		e.dispatcher(local).DeliverDue(context.Background())
		got := e.deliveries(h.ID).Deliveries
		if len(got) != 1 || got[0].LastStatusCode == nil || *got[0].LastStatusCode != 500 || got[0].NextAttemptAt == nil ||
			!strings.Contains(got[0].LastError, "oops\uFFFDbad") {
			t.Errorf("after an answer with NUL: %+v", got)
		}
	})
}

// TestWebhookStaffWhoDeleteTheirAccountAreRemoved: a member who deletes
// their own account leaves the organization, and its webhooks say so.
func TestWebhookStaffWhoDeleteTheirAccountAreRemoved(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		e.hook(rc.srv.URL, roster.EventStaffRemoved)
		admin := e.subAdmin("admin@example.com")
		listed := e.shownStaff(admin.UID)
		expect(t, e.as(admin.Token, "DELETE", "/auth/me", map[string]string{"password": testPassword}), 200)
		e.dispatcher(local).DeliverDue(context.Background())
		got := rc.received()
		if len(got) != 1 {
			t.Fatalf("received %+v", got)
		}
		sameData(t, got[0], sent{roster.EventStaffRemoved, with(listed, "status", roster.StaffRemoved)})
	})
}

// TestWebhookOverHTTPStopsWhenHTTPIsNoLongerAllowed: an http:// endpoint
// made while plain http was allowed gets nothing once it is not.
func TestWebhookOverHTTPStopsWhenHTTPIsNoLongerAllowed(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		h := e.hook(rc.srv.URL, "*")
		e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		e.dispatcher(webhook.Policy{AllowPrivate: true}).DeliverDue(context.Background())
		if got := rc.received(); len(got) != 0 {
			t.Fatalf("delivered over http: %+v", got)
		}
		if d := e.deliveries(h.ID).Deliveries[0]; d.Status != "pending" || !strings.Contains(d.LastError, "https only") {
			t.Errorf("delivery %+v", d)
		}
	})
}

// TestWebhookAttemptsAreEachListed: a receiver that answers 500, then
// hangs up, then 200 makes three attempts, each listed with its own time,
// status code, error and duration, newest first, with its delivery and
// page by page; the delivery's last status and error are the last one's.
func TestWebhookAttemptsAreEachListed(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t, 500, hangUp)
		h := e.hook(rc.srv.URL, roster.EventClientCreated)
		e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		d := e.dispatcher(local, func(c *webhook.Config) {
			render := c.Render
			c.Render = func(ctx context.Context, j *roster.WebhookJob) (any, error) {
				e.clock.Advance(1500 * time.Millisecond) // the first attempt, which renders the body, takes that long
				return render(ctx, j)
			}
		})
		var at []string
		for i := range 3 {
			if n := d.DeliverDue(context.Background()); n != 1 {
				t.Fatalf("round %d: %d attempts, want 1", i+1, n)
			}
			at = append(at, apiTime(e.clock.Now()))
			e.clock.Advance(time.Hour) // past any back-off
		}
		if got := len(rc.received()); got != 3 {
			t.Fatalf("the receiver got %d requests, want 3", got)
		}
		status := func(code int) *int { return &code }
		want := []attemptJSON{
			{Number: 3, AttemptedAt: at[2], StatusCode: status(200)},
			{Number: 2, AttemptedAt: at[1], Error: "EOF"},
			{Number: 1, AttemptedAt: at[0], StatusCode: status(500), Error: "500 Internal Server Error: xxx", DurationMS: 1500},
		}
		same := func(where string, got []attemptJSON) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: attempts %+v, want %+v", where, got, want)
			}
			for i, g := range got {
				w := want[i]
				// The 500's answer is cut to the error's 1,000 bytes; the
				// hang-up's error names the request, then EOF.
				errOK := g.Error == w.Error || w.Error != "" && strings.Contains(g.Error, w.Error) && len(g.Error) <= 1000
				if g.Number != w.Number || g.AttemptedAt != w.AttemptedAt || !reflect.DeepEqual(g.StatusCode, w.StatusCode) ||
					!errOK || g.DurationMS != w.DurationMS {
					t.Errorf("%s: attempt %d is %+v, want %+v", where, i, g, w)
				}
			}
			if first := got[2].Error; len(first) != 1000 || !strings.HasPrefix(first, want[2].Error) {
				t.Errorf("%s: the 500's error has %d bytes, want the receiver's answer cut to 1000", where, len(first))
			}
			if !strings.HasSuffix(got[1].Error, "EOF") {
				t.Errorf("%s: the hang-up's error %q", where, got[1].Error)
			}
		}
		page := e.deliveries(h.ID)
		if len(page.Deliveries) != 1 {
			t.Fatalf("deliveries %+v", page)
		}
		del := page.Deliveries[0]
		if del.Status != "delivered" || del.Attempts != 3 || del.LastStatusCode == nil || *del.LastStatusCode != 200 || del.LastError != "" {
			t.Errorf("the delivery %+v", del)
		}
		same("with the delivery", del.LastAttempts)
		same("the attempts", e.attempts(h.ID, del.ID, "").Attempts)

		// Page by page: two, then the last one.
		first := e.attempts(h.ID, del.ID, "?limit=2")
		if !slices.Equal(numbers(first.Attempts), []int{3, 2}) || first.NextBeforeID != "2" {
			t.Fatalf("the first page of 2: %+v", first)
		}
		next := e.attempts(h.ID, del.ID, "?limit=2&before_id="+first.NextBeforeID)
		if !slices.Equal(numbers(next.Attempts), []int{1}) || next.NextBeforeID != "" {
			t.Errorf("the second page: %+v", next)
		}
		if end := e.attempts(h.ID, del.ID, "?before_id=1"); len(end.Attempts) != 0 || end.NextBeforeID != "" {
			t.Errorf("before the first attempt: %+v", end)
		}
	})
}

// TestWebhookAttemptsKeptAreTheLast20: a receiver that fails every
// attempt leaves its delivery's last 20 attempts and no more; the delivery
// counts them all and lists the last 5.
func TestWebhookAttemptsKeptAreTheLast20(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const made = roster.WebhookAttemptsKept + 5
		rc := newReceiver(t, slices.Repeat([]int{503}, made)...)
		h := e.hook(rc.srv.URL, roster.EventClientCreated)
		e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		// Not given up on before the test is done.
		d := e.dispatcher(local, func(c *webhook.Config) { c.GiveUpAfter = 30 * 24 * time.Hour })
		for range made {
			if n := d.DeliverDue(context.Background()); n != 1 {
				t.Fatalf("%d attempts, want 1", n)
			}
			e.clock.Advance(4 * time.Hour) // the longest back-off
		}
		del := e.deliveries(h.ID).Deliveries[0]
		if del.Status != "pending" || del.Attempts != made || !slices.Equal(numbers(del.LastAttempts), []int{made, made - 1, made - 2, made - 3, made - 4}) {
			t.Errorf("the delivery lists %d attempts, %v, want %d, the last 5", del.Attempts, numbers(del.LastAttempts), made)
		}
		kept := e.attempts(h.ID, del.ID, "?limit=100")
		var want []int
		for n := made; n > made-roster.WebhookAttemptsKept; n-- {
			want = append(want, n)
		}
		if !slices.Equal(numbers(kept.Attempts), want) || kept.NextBeforeID != "" {
			t.Errorf("kept %v (next %q), want %v", numbers(kept.Attempts), kept.NextBeforeID, want)
		}
		for _, a := range kept.Attempts {
			if a.StatusCode == nil || *a.StatusCode != 503 || !strings.HasPrefix(a.Error, "503 Service Unavailable: ") {
				t.Errorf("attempt %+v", a)
			}
		}
		// The default page has all that are kept.
		if page := e.attempts(h.ID, del.ID, ""); len(page.Attempts) != roster.WebhookAttemptsKept || page.NextBeforeID != "" {
			t.Errorf("the default page: %v, next %q", numbers(page.Attempts), page.NextBeforeID)
		}
	})
}

// TestWebhookAttemptsBadInput: the attempts of an unknown delivery, of an
// unknown webhook's, of another organization's, or with ids of no
// delivery's shape, are the same 404; bad paging is a 400 naming the
// parameter; Admins get the Owner-only 403.
func TestWebhookAttemptsBadInput(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		h := e.hook(rc.srv.URL, "*")
		e.create(prefixes[0], map[string]any{"email": "ann@example.com", "display_name": "Ann"})
		ours := e.deliveries(h.ID).Deliveries[0].ID
		theirHook := decodeAs[hookJSON](t, e.do(req{Method: "POST", Path: "/admin-management/webhooks/", Key: e.other.APIKey,
			ContentType: "application/json", Body: []byte(`{"url":"` + rc.srv.URL + `","events":["*"]}`)}), 201)
		e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "theirs@example.com", "display_name": "Theirs"})
		theirs := decodeAs[deliveryPage](t, e.do(req{Method: "GET", Key: e.other.APIKey,
			Path: "/admin-management/webhooks/" + theirHook.ID + "/deliveries"}), 200).Deliveries[0].ID
		attempts := func(hook, delivery, query string) response {
			return e.get("/admin-management/webhooks/" + hook + "/deliveries/" + delivery + "/attempts" + query)
		}
		const notFound = `{"error":"webhook delivery not found"}`
		for _, p := range [][2]string{
			{h.ID, "msg_00000000000000000000"},                                     // an unknown delivery
			{"00000000000000000000", ours},                                         // an unknown webhook
			{theirHook.ID, theirs},                                                 // another organization's
			{h.ID, theirs},                                                         // another endpoint's delivery
			{theirHook.ID, ours},                                                   // our delivery under their webhook
			{h.ID, "msg_x"}, {h.ID, strings.TrimPrefix(ours, "msg_")}, {"x", ours}, // no delivery's shape
		} {
			r := attempts(p[0], p[1], "")
			if r.Status != 404 || strings.TrimSpace(string(r.Body)) != notFound {
				t.Errorf("%s/%s: %d %s, want 404 %s", p[0], p[1], r.Status, r.Body, notFound)
			}
		}
		for query, want := range map[string]string{
			"?limit=0":               "limit: must be an integer from 1 to 100",
			"?limit=101":             "limit: must be an integer from 1 to 100",
			"?limit=x":               "limit: must be an integer from 1 to 100",
			"?before_id=0":           "before_id: must be an attempt's number, an integer from 1",
			"?before_id=-1":          "before_id: must be an attempt's number, an integer from 1",
			"?before_id=01":          "before_id: must be an attempt's number, an integer from 1",
			"?before_id=x":           "before_id: must be an attempt's number, an integer from 1",
			"?before_id=" + ours:     "before_id: must be an attempt's number, an integer from 1",
			"?before_id=99999999999": "before_id: must be an attempt's number, an integer from 1",
			"?limit=1&limit=2":       "limit: given more than once",
			"?after_id=1":            "after_id: unknown query parameter",
		} {
			r := attempts(h.ID, ours, query)
			if r.Status != 400 || !strings.HasPrefix(r.errorText(t), want) {
				t.Errorf("%s: %d %s, want a 400 saying %q", query, r.Status, r.Body, want)
			}
		}
		// Of a delivery not attempted yet: none.
		if page := e.attempts(h.ID, ours, ""); len(page.Attempts) != 0 || page.NextBeforeID != "" || page.Attempts == nil {
			t.Errorf("before any attempt: %+v", page)
		}
		admin := e.subAdmin("admin@example.com")
		badWant(t, e.as(admin.Token, "GET", "/admin-management/webhooks/"+h.ID+"/deliveries/"+ours+"/attempts", nil), 403,
			roster.Principal{Role: roster.RoleAdmin, OrgID: 1}.Forbidden(roster.PermWebhooks).Error())
	})
}
