package api_test

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/api"
)

// The attacks of issue 8, each performed against the server: every test
// here failed before the fix it names.

// trustLoopback makes the test client a trusted proxy, so that
// X-Forwarded-For names the client a request stands for.
var trustLoopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// mailsTo returns the bodies of the unsent mail to email, oldest first.
func (e *env) mailsTo(email string) []string {
	e.t.Helper()
	mails, err := e.st.UnsentMail(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var bodies []string
	for _, m := range mails {
		if m.To == email {
			bodies = append(bodies, m.Subject+"\n"+m.Body)
		}
	}
	return bodies
}

// sessions decodes a force logout's answer.
func sessionsEnded(t *testing.T, r response) int64 {
	t.Helper()
	var out struct{ Sessions int64 }
	decodeAsInto(t, r, 200, &out)
	return out.Sessions
}

// TestSubAdminCannotSignTheOwnerOut: a sub-admin made a client with the
// Owner's email and signed the Owner out through the client force logout,
// around the Owner-only staff force logout. A client is no handle on staff
// of any organization, even once linked.
func TestSubAdminCannotSignTheOwnerOut(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		owner := e.ownerToken(e.org.OwnerEmail)
		ownerAgain := e.login(e.org.OwnerEmail)
		admin := e.subAdmin("coach@example.com")
		r := e.as(admin.Token, "POST", prefixes[0]+"/", map[string]any{"email": e.org.OwnerEmail, "display_name": "Boss", "sessions_limit": 1})
		trap := decodeAs[struct{ UserData client }](t, r, 201).UserData

		if n := sessionsEnded(t, e.as(admin.Token, "POST", prefixes[0]+"/force-logout/", map[string]string{"user_uid": trap.UserUID})); n != 0 {
			t.Errorf("the sub-admin ended %d of the Owner's sessions", n)
		}
		for _, tk := range []string{owner, ownerAgain.Token} {
			expect(t, e.as(tk, "GET", "/auth/me", nil), 200)
		}
		// Even linked, by the Owner's own consent, the client does not reach
		// staff: neither the force logout nor its sessions_limit.
		e.link(e.org.APIKey, trap.UserUID, owner)
		if n := sessionsEnded(t, e.as(admin.Token, "POST", prefixes[1]+"/force-logout/", map[string]string{"user_uid": trap.UserUID})); n != 0 {
			t.Errorf("through a linked client the sub-admin ended %d of the Owner's sessions", n)
		}
		third := e.login(e.org.OwnerEmail)
		for _, tk := range []string{owner, ownerAgain.Token, third.Token} {
			expect(t, e.as(tk, "GET", "/auth/me", nil), 200)
		}
		// The staff force logout stays the Owner's.
		badWant(t, e.as(admin.Token, "POST", "/admin-management/sub-admins/force-logout/", map[string]string{"user_uid": e.org.OwnerUID}),
			403, "super admin privileges")
	})
}

// TestNoPowerOverAPersonWithoutConsent: one organization made a client with
// another's athlete's email, then signed the athlete out, capped their
// sessions everywhere, learnt from the answer whether the email had an
// account, and showed up in the athlete's /auth/me. Only a link the
// athlete accepts gives that power, and the athlete can take it back.
func TestNoPowerOverAPersonWithoutConsent(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		athlete := e.signup("runner@example.com")
		home := e.create(prefixes[0], map[string]any{"email": "runner@example.com", "display_name": "Runner"})
		e.link(e.org.APIKey, home.UserUID, athlete.Token)
		other := e.signup("other@example.com") // someone else, with an account

		stranger := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "runner@example.com", "display_name": "Runner", "sessions_limit": 1})
		nobody := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "nobody@example.com", "display_name": "Nobody"})
		second := e.login("runner@example.com")
		logout := func(key, uid string) response {
			return e.do(req{Method: "POST", Path: prefixes[0] + "/force-logout/", Key: key, ContentType: "application/json",
				Body: []byte(`{"user_uid":"` + uid + `"}`)})
		}
		withAccount, without := logout(e.other.APIKey, stranger.UserUID), logout(e.other.APIKey, nobody.UserUID)
		if sessionsEnded(t, withAccount) != 0 || string(withAccount.Body) != string(without.Body) {
			t.Errorf("the answers tell the accounts apart: %s and %s", withAccount.Body, without.Body)
		}
		third := e.login("runner@example.com") // sessions_limit 1 of the stranger's client caps nothing
		for _, tk := range []tokens{athlete, second, third} {
			expect(t, e.as(tk.Token, "GET", "/auth/me", nil), 200)
		}
		m := e.me(athlete.Token)
		if len(m.Clients) != 1 || m.Clients[0].Profile.UserUID != home.UserUID {
			t.Errorf("the athlete's profiles: %+v", m.Clients)
		}

		// The organization asks; only the owner of the address may answer.
		inv := e.inviteLink(e.other.APIKey, stranger.UserUID)
		if inv.UserUID != stranger.UserUID || inv.Email != "runner@example.com" || inv.OrganizationUID != e.other.UID {
			t.Errorf("link invitation %+v", inv)
		}
		if mails := e.mailsTo("runner@example.com"); len(mails) == 0 || !strings.Contains(mails[len(mails)-1], "link your Roster account") {
			t.Errorf("no link invitation mail: %q", mails)
		}
		badWant(t, e.as(other.Token, "POST", "/auth/me/link-invitations/respond",
			map[string]string{"link_uid": inv.LinkUID, "user_response": "accept"}), 404, "link invitation not found")
		var list struct {
			LinkInvitations []linkInvitation `json:"link_invitations"`
		}
		decodeAsInto(t, e.as(athlete.Token, "GET", "/auth/me/link-invitations", nil), 200, &list)
		if len(list.LinkInvitations) != 1 || list.LinkInvitations[0].LinkUID != inv.LinkUID {
			t.Fatalf("the athlete's link invitations: %+v", list)
		}
		expect(t, e.as(athlete.Token, "POST", "/auth/me/link-invitations/respond",
			map[string]string{"link_uid": inv.LinkUID, "user_response": "accept"}), 200)
		if m := e.me(third.Token); len(m.Clients) != 2 {
			t.Errorf("after accepting, the profiles: %+v", m.Clients)
		}
		// Now linked, the organization may end the sessions and cap them.
		if n := sessionsEnded(t, logout(e.other.APIKey, stranger.UserUID)); n != 3 {
			t.Errorf("ended %d sessions, want 3", n)
		}
		expect(t, e.as(athlete.Token, "GET", "/auth/me", nil), 401)
		s1, s2 := e.login("runner@example.com"), e.login("runner@example.com")
		badWant(t, e.as(s1.Token, "GET", "/auth/me", nil), 401, "session has ended")

		// The athlete takes the consent back: the organization reaches nobody.
		expect(t, e.as(s2.Token, "DELETE", "/auth/me/clients/"+stranger.UserUID+"/link", nil), 200)
		if n := sessionsEnded(t, logout(e.other.APIKey, stranger.UserUID)); n != 0 {
			t.Errorf("after unlinking, %d sessions ended", n)
		}
		expect(t, e.as(s2.Token, "GET", "/auth/me", nil), 200)
		badWant(t, e.as(s2.Token, "DELETE", "/auth/me/clients/"+stranger.UserUID+"/link", nil), 404, badNotFound)

		// Asking again for a linked client is refused; a new email on the
		// client ends a link, and voids a pending request.
		r := e.json("POST", prefixes[0]+"/link/", map[string]string{"user_uid": home.UserUID})
		badWant(t, r, 400, "already linked")
		expect(t, e.json("PUT", prefixes[0]+"/", map[string]string{"user_uid": home.UserUID, "email": "renamed@example.com"}), 200)
		pending := e.inviteLink(e.other.APIKey, stranger.UserUID)
		r = e.do(req{Method: "PUT", Path: prefixes[0] + "/", Key: e.other.APIKey, ContentType: "application/json",
			Body: []byte(`{"user_uid":"` + stranger.UserUID + `","email":"moved@example.com"}`)})
		expect(t, r, 200)
		if m := e.me(s2.Token); len(m.Clients) != 0 {
			t.Errorf("a client with a new email is still linked: %+v", m.Clients)
		}
		decodeAsInto(t, e.as(s2.Token, "GET", "/auth/me/link-invitations", nil), 200, &list)
		if len(list.LinkInvitations) != 0 {
			t.Errorf("a request to the old address is still open: %+v", list)
		}
		badWant(t, e.as(s2.Token, "POST", "/auth/me/link-invitations/respond",
			map[string]string{"link_uid": pending.LinkUID, "user_response": "accept"}), 404, "link invitation not found")
	})
}

// TestMailLinksOnlyToAllowedOrigins: sign-up mailed the victim a link to
// the host the caller named in platform_link, whose code gave the caller
// a verified account for the victim's address (and with it the victim's
// invitations). Links now go to the operator's origins only, and a code
// finishes a sign-up only with the password chosen with it.
func TestMailLinksOnlyToAllowedOrigins(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		inv := e.invite(e.org.APIKey, "victim@example.com")
		c := e.create(prefixes[0], map[string]any{"email": "victim@example.com", "display_name": "Victim"})
		bad := []string{
			"https://evil.example/v",
			"https://app.example.com@evil.example/v", // userinfo: the host is evil.example
			"https://app.example.com.evil.example/v", // a look-alike host
			"http://app.example.com/v",               // another scheme is another origin
			"https://app.example.com:8443/v",         // another port too
			"javascript:alert(1)",
		}
		for _, link := range bad {
			for _, r := range []response{
				e.post("/auth/signup", map[string]string{"email": "victim@example.com", "password": "attacker's password",
					"display_name": "Victim", "platform_link": link}),
				e.post("/auth/password-reset", map[string]string{"email": "victim@example.com", "platform_link": link}),
				e.json("POST", "/admin-management/invitation/", map[string]string{"user_email": "other@example.com", "platform_link": link}),
				e.json("POST", prefixes[0]+"/link/", map[string]string{"user_uid": c.UserUID, "platform_link": link}),
			} {
				badWant(t, r, 400, "platform_link: ")
			}
		}
		for _, mail := range e.mailsTo("victim@example.com") {
			if strings.Contains(mail, "evil") {
				t.Fatalf("a mail links to the caller's host: %s", mail)
			}
		}
		if n := len(e.mailsTo("victim@example.com")); n != 1 { // the invitation's
			t.Errorf("%d mails to the victim; refused requests must send none", n)
		}

		// The attacker's sign-up, with a link the operator allows: the
		// victim follows it, but the code alone creates nothing.
		expect(t, e.post("/auth/signup", map[string]string{"email": "victim@example.com", "password": "attacker's password",
			"display_name": "Victim", "platform_link": "https://APP.example.com:443/verify"}), 202)
		mails := e.mailsTo("victim@example.com")
		if last := mails[len(mails)-1]; !strings.Contains(last, "https://app.example.com/verify?verify_token=rvt_") {
			t.Errorf("the mail's link: %s", last)
		}
		code := e.verificationCode("victim@example.com")
		badWant(t, e.post("/auth/verify-email", map[string]string{"token": code, "password": "the victim's guess"}), 403, "password: ")
		badWant(t, e.post("/auth/login", map[string]string{"email": "victim@example.com", "password": "attacker's password"}), 401, "wrong email or password")
		// The invitation stays for the real owner of the address.
		victim := e.signup("victim@example.com")
		expect(t, e.as(victim.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": inv.InviteToken, "user_response": "accept"}), 200)
		// And the attacker's code, used after, does not reach the account.
		badWant(t, e.post("/auth/verify-email", map[string]string{"token": code, "password": "attacker's password"}), 400, "already has an account")
	})
}

// TestSquattingHasAWayBack: an unverified sign-up with someone's address
// made their own sign-up a 400 "already exists", and there was no reset.
// Now sign-up answers alike for every address, and the mailbox's owner
// takes the account over by signing up or by resetting the password.
func TestSquattingHasAWayBack(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.signup("known@example.com")
		fresh := e.post("/auth/signup", map[string]string{"email": "fresh@example.com", "password": testPassword, "display_name": "F"})
		known := e.post("/auth/signup", map[string]string{"email": "known@example.com", "password": testPassword, "display_name": "K"})
		if fresh.Status != 202 || known.Status != fresh.Status || string(known.Body) != string(fresh.Body) {
			t.Errorf("sign-up tells addresses apart: %d %s and %d %s", fresh.Status, fresh.Body, known.Status, known.Body)
		}
		if mails := e.mailsTo("known@example.com"); !strings.Contains(mails[len(mails)-1], "already has an account") {
			t.Errorf("the owner of a known address is not told: %q", mails)
		}
		resetKnown := e.post("/auth/password-reset", map[string]string{"email": "known@example.com"})
		resetNone := e.post("/auth/password-reset", map[string]string{"email": "none@example.com"})
		if resetKnown.Status != 202 || string(resetKnown.Body) != string(resetNone.Body) {
			t.Errorf("reset tells addresses apart: %s and %s", resetKnown.Body, resetNone.Body)
		}
		if n := len(e.mailsTo("none@example.com")); n != 0 {
			t.Errorf("%d reset mails to an address without an account", n)
		}

		// By signing up.
		squat := e.signupUnverified("target@example.com")
		r := e.post("/auth/signup", map[string]string{"email": "target@example.com", "password": "the owner's password", "display_name": "Tara"})
		expect(t, r, 202)
		owner := e.verify(e.verificationCode("target@example.com"), "the owner's password")
		if owner.UID != squat.UID {
			t.Errorf("a second account %s beside %s", owner.UID, squat.UID)
		}
		expect(t, e.as(squat.Token, "GET", "/auth/me", nil), 401)
		badWant(t, e.post("/auth/login", map[string]string{"email": "target@example.com", "password": testPassword}), 401, "wrong email or password")
		if m := e.me(owner.Token); !m.EmailVerified || m.DisplayName != "Tara" {
			t.Errorf("taken over: %+v", m)
		}

		// By resetting the password: single use, every session ends.
		squat = e.signupUnverified("target2@example.com")
		expect(t, e.post("/auth/password-reset", map[string]string{"email": "TARGET2@example.com", "platform_link": "https://app.example.com/reset"}), 202)
		mails := e.mailsTo("target2@example.com")
		if !strings.Contains(mails[len(mails)-1], "https://app.example.com/reset?reset_token=rvt_") {
			t.Errorf("reset mail: %s", mails[len(mails)-1])
		}
		code := e.verificationCode("target2@example.com")
		badWant(t, e.post("/auth/password-reset/confirm", map[string]string{"token": code, "new_password": "short"}), 400, "new_password: ")
		reset := decodeAs[tokens](t, e.post("/auth/password-reset/confirm", map[string]string{"token": code, "new_password": "the owner's new password"}), 200)
		if reset.UID != squat.UID {
			t.Errorf("reset signed in %s, want %s", reset.UID, squat.UID)
		}
		expect(t, e.as(squat.Token, "GET", "/auth/me", nil), 401)
		badWant(t, e.post("/auth/password-reset/confirm", map[string]string{"token": code, "new_password": "yet another password"}), 400, "invalid, used or expired")
		if m := e.me(reset.Token); !m.EmailVerified {
			t.Errorf("a reset verifies the address: %+v", m)
		}
		expect(t, e.post("/auth/login", map[string]string{"email": "target2@example.com", "password": "the owner's new password"}), 200)
	})
}

// TestSignUpNeedsItsCodeAndPassword: nothing exists until the code comes
// back with its password; a code works once; an account from before the
// codes can still verify with its own password.
func TestSignUpNeedsItsCodeAndPassword(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		expect(t, e.post("/auth/signup", map[string]string{"email": "new@example.com", "password": testPassword, "display_name": "New"}), 202)
		badWant(t, e.post("/auth/login", map[string]string{"email": "new@example.com", "password": testPassword}), 401, "wrong email or password")
		code := e.verificationCode("new@example.com")
		tk := e.verify(code, testPassword)
		if m := e.me(tk.Token); m.Email != "new@example.com" || !m.EmailVerified || m.DisplayName != "New" {
			t.Errorf("signed up: %+v", m)
		}
		badWant(t, e.post("/auth/verify-email", map[string]string{"token": code, "password": testPassword}), 400, "invalid, used or expired")

		// An unverified account sees no invitation addressed to it and is
		// told to verify, in the same words whether there is one or not.
		old := e.signupUnverified("old@example.com")
		e.invite(e.org.APIKey, "old@example.com")
		list := func(token string) response { return e.as(token, "GET", "/admin-management/invitation/", nil) }
		toOld, toNobody := list(old.Token), list(e.signupUnverified("nobody@example.com").Token)
		badWant(t, toOld, 403, "verify your email address first")
		if string(toOld.Body) != string(toNobody.Body) {
			t.Errorf("an invitation shows through: %s, and with none %s", toOld.Body, toNobody.Body)
		}
		expect(t, e.as(old.Token, "POST", "/auth/verify-email/resend", map[string]string{"platform_link": "https://app.example.com/v"}), 200)
		badWant(t, e.as(old.Token, "POST", "/auth/verify-email/resend", map[string]string{"platform_link": "https://evil.example/v"}), 400, "platform_link")
		e.verify(e.verificationCode("old@example.com"), testPassword)
		fresh := e.login("old@example.com")
		if m := e.me(fresh.Token); !m.EmailVerified {
			t.Errorf("not verified: %+v", m)
		}
		if got := e.invitations(fresh.Token); len(got) != 1 {
			t.Errorf("once verified, the invitations: %+v", got)
		}
		badWant(t, e.as(fresh.Token, "POST", "/auth/verify-email/resend", map[string]string{}), 400, "already verified")
	})
}

// TestAbuseLimits: anonymous sign-ups mailed any address 40 times in
// seconds from one client, and an organization sent 100 invitations in
// 0.3 s. The limits hold across two processes on one database, refuse
// with Retry-After, and count only what they let through.
func TestAbuseLimits(t *testing.T) {
	limits := roster.Limits{
		MailPerAddress:        roster.Rate{Count: 3, Per: time.Hour},
		MailPerClient:         roster.Rate{Count: 5, Per: time.Hour},
		InvitationsPerOrg:     roster.Rate{Count: 4, Per: time.Hour},
		LinkInvitationsPerOrg: roster.Rate{Count: 2, Per: time.Hour},
	}
	eachTwoProcesses(t, func(t *testing.T, e, second *env) {
		servers := []*env{e, second}
		accepted := 0
		for i := range 40 {
			r := servers[i%2].post("/auth/signup", map[string]string{"email": "flood" + strconv.Itoa(i) + "@example.com",
				"password": testPassword, "display_name": "Flood"})
			switch r.Status {
			case 202:
				accepted++
			case 429:
				retry, err := strconv.Atoi(r.Header.Get("Retry-After"))
				if err != nil || retry < 1 || retry > 3600 {
					t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
				}
			default:
				t.Fatalf("sign-up %d: %d %s", i, r.Status, r.Body)
			}
		}
		if accepted != 5 {
			t.Errorf("%d sign-ups from one client were mailed, want 5", accepted)
		}
		mailed := 0
		for i := range 40 {
			mailed += len(e.mailsTo("flood" + strconv.Itoa(i) + "@example.com"))
		}
		if mailed != 5 {
			t.Errorf("%d mails queued, want 5", mailed)
		}

		// Per address, from many clients (a trusted proxy names them).
		for i := range 5 {
			r := servers[i%2].do(req{Method: "POST", Path: "/auth/password-reset", ContentType: "application/json",
				Body:   []byte(`{"email":"target@example.com"}`),
				Header: map[string]string{"X-Forwarded-For": "198.51.100." + strconv.Itoa(i)}})
			if want := map[bool]int{true: 202, false: 429}[i < 3]; r.Status != want {
				t.Errorf("reset %d to one address: %d %s, want %d", i, r.Status, r.Body, want)
			}
		}

		// Invitations per organization: the seed's path answers 400 with
		// Retry-After, and the refused ones are not written.
		for i := range 6 {
			r := servers[i%2].json("POST", "/admin-management/invitation/", map[string]string{"user_email": "invitee" + strconv.Itoa(i) + "@example.com"})
			if i < 4 {
				expect(t, r, 201)
				continue
			}
			badWant(t, r, 400, "too many invitations from this organization")
			if r.Header.Get("Retry-After") == "" {
				t.Errorf("no Retry-After")
			}
		}
		if got := e.invitationsByKey(e.org.APIKey); strings.Count(got, "invitee_email") != 4 {
			t.Errorf("invitations stored: %s", got)
		}
		// The other organization has its own count.
		expect(t, e.do(req{Method: "POST", Path: "/admin-management/invitation/", Key: e.other.APIKey, ContentType: "application/json",
			Body: []byte(`{"user_email":"someone@example.com"}`)}), 201)

		// Link invitations likewise, with 429 on Roster's own path.
		c := e.create(prefixes[0], map[string]any{"email": "linked@example.com", "display_name": "L"})
		for i := range 3 {
			r := servers[i%2].json("POST", prefixes[i%2]+"/link/", map[string]string{"user_uid": c.UserUID})
			if want := map[bool]int{true: 201, false: 429}[i < 2]; r.Status != want {
				t.Errorf("link invitation %d: %d %s", i, r.Status, r.Body)
			}
		}
	}, func(c *api.Config) {
		c.Limits = limits
		c.TrustedProxies = trustLoopback
	})
}

// TestCorrectPasswordAmidFailures: a correct password is never refused
// because wrong ones run beside it; only failures block.
func TestCorrectPasswordAmidFailures(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.signup("busy@example.com")
		// Four rounds of four failures stay under the per-address block.
		for round := range 4 {
			var wg sync.WaitGroup
			statuses := make([]int, 5)
			for i := range statuses {
				password := "a wrong password"
				if i == 2 {
					password = testPassword
				}
				wg.Go(func() {
					statuses[i] = e.post("/auth/login", map[string]string{"email": "busy@example.com", "password": password}).Status
				})
			}
			wg.Wait()
			if statuses[2] != 200 {
				t.Fatalf("round %d: the correct password got %d among %v", round, statuses[2], statuses)
			}
			// The round's failures may have followed the success: one more
			// success forgets them, so that each round starts from none.
			e.login("busy@example.com")
		}
	})
}

// TestSignUpCodeGuessesAreThrottled: whoever holds a sign-up code (a link
// on the front end, a forwarded mail) guesses the password that goes with
// it under the sign-in throttle, as at /auth/login.
func TestSignUpCodeGuessesAreThrottled(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		expect(t, e.post("/auth/signup", map[string]string{"email": "guess@example.com", "password": testPassword, "display_name": "G"}), 202)
		code := e.verificationCode("guess@example.com")
		throttled := 0
		for i := range 30 {
			r := e.post("/auth/verify-email", map[string]string{"token": code, "password": "wrong guess " + strconv.Itoa(i)})
			if r.Status == 429 {
				throttled++
			} else if r.Status != 403 {
				t.Fatalf("guess %d: %d %s", i, r.Status, r.Body)
			}
		}
		// Five are checked; the clock stands still, so the block that
		// follows never lifts.
		if checked := 30 - throttled; checked != 5 {
			t.Errorf("30 wrong passwords for one sign-up code: %d checked, want 5", checked)
		}
	})
}

// TestSignInThrottleCountsAnIPv6Slash64: the per-address sign-in throttle
// counts an IPv6 /64 as one address, as the mail limits do, so that one
// host that owns a /64 cannot spray passwords from a new address each time.
func TestSignInThrottleCountsAnIPv6Slash64(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		guess := func(i int, from string) int {
			return e.do(req{Method: "POST", Path: "/auth/login", ContentType: "application/json",
				Body:   []byte(`{"email":"spray` + strconv.Itoa(i) + `@example.com","password":"Summer2024!"}`),
				Header: map[string]string{"X-Forwarded-For": from}}).Status
		}
		// Control: from one address the spray meets the block.
		blocked := false
		for i := range 40 {
			if guess(i, "2001:db8:0:1::1") == 429 {
				blocked = true
				break
			}
		}
		if !blocked {
			t.Fatalf("the control never met the per-address block")
		}
		// The attack: the same /64, a new address for every guess.
		for i := range 60 {
			if s := guess(100+i, fmt.Sprintf("2001:db8:0:2::%x", i+1)); s == 429 {
				return // the /64 was counted as one client
			}
		}
		t.Errorf("60 failed sign-ins from one IPv6 /64 (a new address each), none throttled; from one address the block came within 21")
	}, func(c *api.Config) { c.TrustedProxies = trustLoopback })
}

// TestDeactivatedLinkedClientReachesNobody: a deactivated client vanishes
// from the person's /auth/me, so the person cannot see it to unlink it:
// its force logout must not reach them either.
func TestDeactivatedLinkedClientReachesNobody(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		person := e.signup("hidden@example.com")
		c := e.create(prefixes[0], map[string]any{"email": "hidden@example.com", "display_name": "H"})
		e.link(e.org.APIKey, c.UserUID, person.Token)
		expect(t, e.json("POST", prefixes[0]+"/deactivate/", map[string]string{"user_uid": c.UserUID}), 200)
		if m := e.me(person.Token); len(m.Clients) != 0 {
			t.Fatalf("a deactivated profile is shown: %+v", m.Clients)
		}
		n := sessionsEnded(t, e.json("POST", prefixes[0]+"/force-logout/", map[string]string{"user_uid": c.UserUID}))
		if n != 0 {
			t.Errorf("through a deactivated client, which the person's /auth/me no longer shows, the organization ended %d of their sessions", n)
		}
		if r := e.as(person.Token, "GET", "/auth/me", nil); r.Status != 200 {
			t.Errorf("the person is signed out: %d %s", r.Status, r.Body)
		}
	})
}

// TestTrailingIdeographicDotIsRefused: U+3002 IDEOGRAPHIC FULL STOP,
// which IDNA maps to ".", at the end of a domain made a second key of an
// address ("victim@example.com。"): a second account, a second client and
// a mail quota of its own. Such an address is refused.
func TestTrailingIdeographicDotIsRefused(t *testing.T) {
	limits := testLimits
	limits.MailPerAddress = roster.Rate{Count: 2, Per: time.Hour}
	each(t, func(t *testing.T, e *env) {
		first := e.signup("victim@example.com")
		accepted := 0
		for _, variant := range []string{"victim@example.com", "victim@example.com。", "victim@example.com.。", "victim@example.com。。"} {
			for range 2 {
				r := e.post("/auth/signup", map[string]string{"email": variant, "password": "a long enough password", "display_name": "V"})
				if r.Status == 202 {
					accepted++
				}
			}
		}
		if accepted > 2 {
			t.Errorf("%d sign-up mails for one address under a limit of 2 an hour (its trailing-dot variants have keys of their own)", accepted)
		}
		mails := e.mailsTo("victim@example.com。")
		if len(mails) > 0 && strings.Contains(mails[len(mails)-1], "Finish signing up") {
			second := e.verify(e.verificationCode("victim@example.com。"), "a long enough password")
			if second.UID != first.UID {
				t.Errorf("two accounts for one address as IDNA reads it: %s (victim@example.com) and %s (victim@example.com。)", first.UID, second.UID)
			}
		}
		// An organization's clients, unique by email, take both too.
		e.create(prefixes[0], map[string]any{"email": "victim@example.com", "display_name": "V"})
		r := e.json("POST", prefixes[0]+"/", map[string]any{"email": "victim@example.com。", "display_name": "V2"})
		if r.Status == 201 {
			t.Errorf("two clients of one organization with one address: victim@example.com and victim@example.com。")
		}
	}, func(c *api.Config) { c.Limits = limits })
}

// TestOrganizationMailsOneAddressWithinItsLimit: an organization that
// re-sends a link invitation for one client mails its address at most as
// often as anonymous mail may.
func TestOrganizationMailsOneAddressWithinItsLimit(t *testing.T) {
	limits := testLimits
	limits.LinkInvitationsPerOrg = roster.DefaultLimits.LinkInvitationsPerOrg
	limits.MailPerAddress = roster.DefaultLimits.MailPerAddress
	each(t, func(t *testing.T, e *env) {
		c := e.create(prefixes[0], map[string]any{"email": "inbox@example.com", "display_name": "I"})
		for i := range 30 {
			r := e.json("POST", prefixes[0]+"/link/", map[string]string{"user_uid": c.UserUID})
			if want := map[bool]int{true: 201, false: 429}[i < roster.DefaultLimits.MailPerAddress.Count]; r.Status != want {
				t.Fatalf("link invitation %d: %d %s, want %d", i, r.Status, r.Body, want)
			}
		}
		if n := len(e.mailsTo("inbox@example.com")); n != roster.DefaultLimits.MailPerAddress.Count {
			t.Errorf("one organization mailed one address %d times (the per-address limit is %s)", n, roster.DefaultLimits.MailPerAddress)
		}
	}, func(c *api.Config) { c.Limits = limits })
}

// TestInviterNameStaysOutOfMail: an Owner's display name, which may hold a
// link of the Owner's choosing, does not go into the invitation mail.
func TestInviterNameStaysOutOfMail(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		owner := e.ownerToken(e.org.OwnerEmail)
		expect(t, e.as(owner, "PUT", "/auth/me", map[string]string{"display_name": "Roster security: confirm at https://evil.example/confirm"}), 200)
		e.invite(e.org.APIKey, "target@example.com")
		for _, m := range e.mailsTo("target@example.com") {
			if strings.Contains(m, "evil.example") {
				t.Errorf("invitation mail carries the inviter's link: %q", m)
			}
		}
	})
}

// TestResetOfADeactivatedAccount: a reset code does not let a deactivated
// staff member back in, and changes nothing.
func TestResetOfADeactivatedAccount(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.subAdmin("benched@example.com")
		expect(t, e.json("POST", "/admin-management/sub-admins/deactivate/", map[string]string{"user_uid": admin.UID}), 200)
		_, before, _, err := e.st.PasswordHash(context.Background(), "benched@example.com")
		if err != nil {
			t.Fatal(err)
		}
		expect(t, e.post("/auth/password-reset", map[string]string{"email": "benched@example.com"}), 202)
		code := e.verificationCode("benched@example.com")
		r := e.post("/auth/password-reset/confirm", map[string]string{"token": code, "new_password": "a way back in, maybe"})
		badWant(t, r, 401, "this account is deactivated")
		if _, after, _, err := e.st.PasswordHash(context.Background(), "benched@example.com"); err != nil || after != before {
			t.Errorf("the password of a deactivated account changed: %v", err)
		}
		// Reactivated, the same code still works once.
		expect(t, e.json("POST", "/admin-management/sub-admins/reactivate/", map[string]string{"user_uid": admin.UID}), 200)
		expect(t, e.post("/auth/password-reset/confirm", map[string]string{"token": code, "new_password": "a way back in, maybe"}), 200)
	})
}
