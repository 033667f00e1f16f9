package roster

import (
	"testing"
	"time"
)

func TestInvitationScopeOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Principal
		want InvitationScope
	}{
		{"owner", Principal{OrgID: 7, AccountUID: "o", Role: RoleOwner}, InvitationScope{InviteeUID: "o", SentBy: 7}},
		{"admin", Principal{OrgID: 7, AccountUID: "a", Role: RoleAdmin}, InvitationScope{InviteeUID: "a"}},
		{"not staff", Principal{AccountUID: "p"}, InvitationScope{InviteeUID: "p"}},
	} {
		if got := InvitationScopeOf(tc.p); got != tc.want {
			t.Errorf("%s: InvitationScopeOf = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestCheckInvitationOpen(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status  string
		expires time.Time
		want    string // the error's message; "" for none
	}{
		{InvitationPending, now.Add(time.Second), ""},
		{InvitationPending, now, "invitation has expired: ask for a new one"},
		{InvitationAccepted, now.Add(time.Hour), ErrInvitationNotFound.Error()},
		{InvitationDeclined, now.Add(time.Hour), ErrInvitationNotFound.Error()},
		{InvitationExpired, now.Add(-time.Hour), ErrInvitationNotFound.Error()},
	} {
		err := CheckInvitationOpen(tc.status, tc.expires, now)
		checkDecision(t, "CheckInvitationOpen("+tc.status+")", err, tc.want, KindNotFound)
	}
}

func TestCheckRespondent(t *testing.T) {
	for _, tc := range []struct {
		r    Respondent
		want string
	}{
		{Respondent{EmailKey: "ana@example.com", EmailVerified: true}, ""},
		{Respondent{EmailKey: "ana@example.com"}, "verify your email address first: see the mail sent when you signed up"},
		{Respondent{EmailKey: "bo@example.com", EmailVerified: true}, "this invitation is addressed to another email address"},
		{Respondent{EmailKey: "bo@example.com"}, "this invitation is addressed to another email address"},
	} {
		err := CheckRespondent("ana@example.com", tc.r)
		checkDecision(t, "CheckRespondent("+tc.r.EmailKey+")", err, tc.want, KindForbidden)
	}
}

// checkDecision asserts that err is nil when want is "", and otherwise
// an error of kind with the message want.
func checkDecision(t *testing.T, call string, err error, want string, kind Kind) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: %v, want nil", call, err)
	case want != "" && (err == nil || err.Error() != want || KindOf(err) != kind):
		t.Errorf("%s: %v (kind %d), want %q (kind %d)", call, err, KindOf(err), want, kind)
	}
}
