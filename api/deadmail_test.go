package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/clocktest"
	"roster/mail"
	"roster/mail/mailtest"
)

type deadMailPage struct {
	Mail []struct {
		UID         string `json:"uid"`
		Kind        string `json:"kind"`
		Recipient   string `json:"recipient"`
		LastError   string `json:"last_error"`
		FailedAt    string `json:"failed_at"`
		CreatedAt   string `json:"created_at"`
		InviteToken string `json:"invite_token"`
	} `json:"mail"`
	NextBeforeID string `json:"next_before_id"`
}

// startSender delivers the store's mail to a test SMTP server, on the
// env's clock, until the test ends.
func (e *env) startSender(t *testing.T) (*mail.Sender, *mailtest.Server) {
	t.Helper()
	srv := mailtest.Start(t, "127.0.0.1:0")
	s, err := mail.NewSender(e.st, mail.Config{URL: "smtp://" + srv.Addr() + "?tls=none", From: "roster@example.com",
		Log: discardLog, Now: e.clock.Now, Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	t.Cleanup(func() { cancel(); s.Shutdown(context.Background()) })
	return s, srv
}

// waitOutbox waits until the outbox holds no pending message and dead ones.
func (e *env) waitOutbox(t *testing.T, dead int64) {
	t.Helper()
	clocktest.Eventually(t, "the outbox to settle", func() bool {
		st, err := e.st.OutboxStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st.Pending == 0 && st.Dead == dead
	})
}

// TestDeadInvitationMail: an invitation the SMTP server refuses for good is
// dead at once; the Owner sees it with the server's answer, and in the
// audit log, and resends it; an Admin may not, and another organization
// sees none of it.
func TestDeadInvitationMail(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		sender, srv := e.startSender(t)
		admin := e.subAdmin("admin@example.com")
		sender.Notify()
		e.waitOutbox(t, 0)
		delivered := len(srv.Received())

		srv.Refuse(550, "5.1.1 mailbox unavailable")
		inv := e.invite(e.org.APIKey, "bounce@example.com")
		sender.Notify()
		e.waitOutbox(t, 1)

		page := decodeAs[deadMailPage](t, e.get("/admin-management/mail/dead/"), 200)
		if len(page.Mail) != 1 || page.NextBeforeID != "" {
			t.Fatalf("dead mail %+v, want the one invitation", page)
		}
		d := page.Mail[0]
		if d.Kind != "invitation" || d.Recipient != "bounce@example.com" || d.InviteToken != inv.InviteToken ||
			!strings.Contains(d.LastError, "550") || !strings.Contains(d.LastError, "mailbox unavailable") ||
			d.FailedAt == "" || d.CreatedAt == "" {
			t.Errorf("dead mail %+v, want the invitation to bounce@example.com with its 550", d)
		}
		entries := e.audit(e.org.APIKey, "action=mail.dead").Entries
		if len(entries) != 1 || entries[0].ObjectType != "mail" || entries[0].ObjectUID != d.UID || entries[0].Actor.Kind != "system" {
			t.Errorf("audit entries %+v, want one mail.dead of %s by the system", entries, d.UID)
		}

		// An Admin may neither see nor resend; another organization sees
		// none and cannot resend it.
		expect(t, e.as(admin.Token, "GET", "/admin-management/mail/dead/", nil), 403)
		resend := map[string]string{"invite_token": inv.InviteToken}
		expect(t, e.as(admin.Token, "POST", "/admin-management/invitation/resend/", resend), 403)
		other := decodeAs[deadMailPage](t, e.do(req{Method: "GET", Path: "/admin-management/mail/dead/", Key: e.other.APIKey}), 200)
		if len(other.Mail) != 0 {
			t.Errorf("another organization sees %+v", other)
		}
		expect(t, e.do(req{Method: "POST", Path: "/admin-management/invitation/resend/", Key: e.other.APIKey,
			ContentType: "application/json", Body: mustJSON(t, resend)}), 404)
		if got := e.do(req{Method: "GET", Path: "/admin-management/mail/dead/?before_id=" + d.UID, Key: e.other.APIKey}); got.Status != 200 ||
			len(decodeAs[deadMailPage](t, got, 200).Mail) != 0 {
			t.Errorf("another organization paging from %s: %s", d.UID, got.Body)
		}

		// The Owner resends: a new message, delivered once the server takes it.
		srv.Refuse(0, "")
		again := decodeAs[invitation](t, e.json("POST", "/admin-management/invitation/resend/", resend), 200)
		if again.InviteToken != inv.InviteToken || again.InviteeEmail != "bounce@example.com" || again.ExpiresAt != inv.ExpiresAt {
			t.Errorf("resend answered %+v, want the same invitation %+v", again, inv)
		}
		sender.Notify()
		got := srv.WaitFor(t, delivered+1)[delivered]
		if _, body := mailtest.Read(t, got); len(got.To) != 1 || got.To[0] != "bounce@example.com" || !strings.Contains(body, inv.InviteToken) {
			t.Errorf("delivered to %v: %s; want the invitation with its token", got.To, body)
		}
		e.waitOutbox(t, 1)
		if entries := e.audit(e.org.APIKey, "action=invitation.resend").Entries; len(entries) != 1 || entries[0].ObjectUID != "bounce@example.com" {
			t.Errorf("audit entries %+v, want one invitation.resend", entries)
		}
		// The dead message stays listed: it did die.
		if page := decodeAs[deadMailPage](t, e.get("/admin-management/mail/dead/"), 200); len(page.Mail) != 1 || page.Mail[0].UID != d.UID {
			t.Errorf("after the resend, dead mail %+v", page)
		}
	})
}

// TestResendInvitationRefusals: an answered, removed or expired invitation,
// or a missing token, is not resent, and nothing is queued.
func TestResendInvitationRefusals(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		expired := e.invite(e.org.APIKey, "late@example.com")
		removed := e.invite(e.org.APIKey, "gone@example.com")
		expect(t, e.json("DELETE", "/admin-management/invitation/", map[string]string{"invite_token": removed.InviteToken}), 200)
		e.clock.Advance(roster.DefaultInvitationTTL + time.Hour)
		before, err := e.st.PendingMail(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		badWant(t, e.json("POST", "/admin-management/invitation/resend/", map[string]string{"invite_token": expired.InviteToken}), 404, "expired")
		badWant(t, e.json("POST", "/admin-management/invitation/resend/", map[string]string{"invite_token": removed.InviteToken}), 404, "not found")
		badWant(t, e.json("POST", "/admin-management/invitation/resend/", map[string]string{}), 400, "invite_token")
		resend := func(body string) response {
			return e.do(req{Method: "POST", Path: "/admin-management/invitation/resend/", Key: e.org.APIKey,
				ContentType: "application/json", Body: []byte(body)})
		}
		badWant(t, resend(`{"invite_token": 42}`), 400, "invite_token")
		badWant(t, resend(`invite_token=x`), 400, "JSON")
		// The admin-management operations document no 413: too large is a 400.
		badWant(t, resend(`{"invite_token":"`+badHuge+`"}`), 400, "request body is larger than")
		if after, err := e.st.PendingMail(context.Background()); err != nil || after != before {
			t.Errorf("pending mail %d, then %d (%v): a refused resend queued mail", before, after, err)
		}
	})
}

// TestDeadMailPaging: pages of dead mail, newest first, follow
// next_before_id to the end, each message once.
func TestDeadMailPaging(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		sender, srv := e.startSender(t)
		srv.Refuse(554, "5.7.1 rejected")
		var want []string
		for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			e.invite(e.org.APIKey, email)
			want = append([]string{email}, want...)
		}
		sender.Notify()
		e.waitOutbox(t, 3)
		var got []string
		for q := "limit=2"; ; {
			page := decodeAs[deadMailPage](t, e.get("/admin-management/mail/dead/?"+q), 200)
			for _, d := range page.Mail {
				got = append(got, d.Recipient)
			}
			if page.NextBeforeID == "" {
				break
			}
			q = "limit=2&before_id=" + page.NextBeforeID
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("paged %v, want %v", got, want)
		}
		badWant(t, e.get("/admin-management/mail/dead/?before_id=x"), 400, "before_id")
		for _, q := range []string{"limit=abc", "limit=0", "limit=101"} {
			badWant(t, e.get("/admin-management/mail/dead/?"+q), 400, "limit")
		}
		badWant(t, e.get("/admin-management/mail/dead/?page=2"), 400, "page")
	})
}
