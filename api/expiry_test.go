package api_test

import (
	"testing"
	"time"

	"roster"
	"roster/api"
	"roster/auth"
)

// The tests here move the server's clock (env.clock) to the moment a token,
// code or invitation runs out, and check it works up to then and not after.

// TestTokensExpire: an access token lasts auth.DefaultAccessTTL (to the
// second: JWT times are whole seconds); a sign-in session lasts
// api.DefaultRefreshTTL from its last refresh.
func TestTokensExpire(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		first := e.signup("ebb@example.com")
		e.clock.Advance(auth.DefaultAccessTTL - time.Second)
		e.me(first.Token)
		e.clock.Advance(time.Second)
		badWant(t, e.as(first.Token, "GET", "/auth/me", nil), 401, "bearer token has expired: refresh it")

		refresh := func(token string) response {
			return e.post("/auth/refresh", map[string]string{"refresh_token": token})
		}
		refreshed := decodeAs[tokens](t, refresh(first.RefreshToken), 200)
		e.me(refreshed.Token)
		second := e.login("ebb@example.com")
		e.clock.Advance(api.DefaultRefreshTTL - time.Microsecond)
		expect(t, refresh(second.RefreshToken), 200)
		e.clock.Advance(time.Microsecond)
		badWant(t, refresh(refreshed.RefreshToken), 401, "invalid or expired refresh token")
	})
}

// TestMailedCodesExpire: a sign-up code lasts roster.SignUpTTL and a
// password reset code roster.PasswordResetTTL.
func TestMailedCodesExpire(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		signUp := func(email string) string {
			expect(t, e.post("/auth/signup", map[string]string{"email": email, "password": testPassword, "display_name": "Flow"}), 202)
			return e.verificationCode(email)
		}
		onTime, late := signUp("flow@example.com"), signUp("late@example.com")
		e.clock.Advance(roster.SignUpTTL - time.Microsecond)
		e.verify(onTime, testPassword)
		e.clock.Advance(time.Microsecond)
		badWant(t, e.post("/auth/verify-email", map[string]string{"token": late, "password": testPassword}), 400,
			"invalid, used or expired")

		e.signup("late@example.com")
		reset := func(email string) string {
			expect(t, e.post("/auth/password-reset", map[string]string{"email": email}), 202)
			return e.verificationCode(email)
		}
		onTime, late = reset("flow@example.com"), reset("late@example.com")
		e.clock.Advance(roster.PasswordResetTTL - time.Microsecond)
		expect(t, e.post("/auth/password-reset/confirm", map[string]string{"token": onTime, "new_password": "a new password in time"}), 200)
		e.clock.Advance(time.Microsecond)
		badWant(t, e.post("/auth/password-reset/confirm", map[string]string{"token": late, "new_password": "another fresh password"}), 400,
			"invalid, used or expired")
		e.login("late@example.com") // the password is unchanged
	})
}

// TestLinkInvitationExpiry: a link invitation lasts as long as a staff
// invitation, roster.DefaultInvitationTTL.
func TestLinkInvitationExpiry(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.create(prefixes[0], map[string]any{"email": "tide@example.com", "display_name": "Tide"})
		inv := e.inviteLink(e.org.APIKey, c.UserUID)
		e.signup("tide@example.com")
		listed := func(token string) int {
			var list struct {
				LinkInvitations []linkInvitation `json:"link_invitations"`
			}
			decodeAsInto(t, e.as(token, "GET", "/auth/me/link-invitations", nil), 200, &list)
			return len(list.LinkInvitations)
		}
		e.clock.Advance(roster.DefaultInvitationTTL - time.Microsecond)
		tide := e.login("tide@example.com")
		if n := listed(tide.Token); n != 1 {
			t.Fatalf("at its last moment, %d link invitations are listed, want 1", n)
		}
		e.clock.Advance(time.Microsecond)
		if n := listed(tide.Token); n != 0 {
			t.Errorf("expired: %d link invitations are listed, want 0", n)
		}
		badWant(t, e.as(tide.Token, "POST", "/auth/me/link-invitations/respond",
			map[string]string{"link_uid": inv.LinkUID, "user_response": "accept"}), 404, "link invitation not found")
		if m := e.me(tide.Token); len(m.Clients) != 0 {
			t.Errorf("an expired link invitation linked %+v", m.Clients)
		}
	})
}
