package console_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"roster"
)

// invitationLink finds the console's invitation link in a mail's body.
var invitationLink = regexp.MustCompile(`http://\S+/console/invitation\?invite_token=\w+`)

// TestBrowserStaff: in Chromium, the owner invites a member on the Staff
// screen; in a browser context of their own, the invitee opens the link
// from the mail, signs in, and accepts; the owner's Staff screen then
// lists the member, whose role the owner changes, and the owner revokes
// another pending invitation. The pages fit a phone and a desktop.
func TestBrowserStaff(t *testing.T) {
	eachPublic(t, func(t *testing.T, e *env, public string) {
		e.addAccount(t, "invitee@example.com")
		owner := newTab(t)
		signInAt(t, owner, public, e.org.OwnerEmail)
		for _, email := range []string{"invitee@example.com", "later@example.com"} {
			do(t, owner, "invite "+email,
				chromedp.Click(link("Staff")),
				chromedp.WaitVisible(field("Email")),
				chromedp.SendKeys(field("Email"), email),
				chromedp.Click(button("Invite")),
				chromedp.WaitVisible(`//p[@role="status" and normalize-space()="Invitation sent."]`))
		}

		mails := e.mailsTo(t, "invitee@example.com")
		if len(mails) != 1 {
			t.Fatalf("%d mails to the invitee", len(mails))
		}
		href := invitationLink.FindString(mails[0].Body)
		if href == "" {
			t.Fatalf("no invitation link in %q", mails[0].Body)
		}
		company := e.invitations(t, e.org)[0].CompanyName
		invitee := newTab(t)
		do(t, invitee, "open the mail's link and sign in",
			chromedp.EmulateViewport(1280, 720),
			chromedp.Navigate(href),
			chromedp.WaitVisible(field("Password")),
			chromedp.SendKeys(field("Email"), "invitee@example.com"),
			chromedp.SendKeys(field("Password"), password),
			chromedp.Click(button("Sign in")),
			chromedp.WaitVisible(heading("Join "+company)),
			chromedp.WaitVisible(button("Decline")))
		screenshot(t, invitee, "invitation")
		do(t, invitee, "accept",
			chromedp.Click(button("Accept")),
			chromedp.WaitVisible(`//p[@role="status" and normalize-space()="You joined the organization."]`))

		member := `//table[@id="members"]//tr[td[normalize-space()="invitee@example.com"]]`
		do(t, owner, "the member on the owner's Staff screen",
			chromedp.Click(link("Staff")),
			chromedp.WaitVisible(member+`/td[@data-label="Role" and normalize-space()="Admin"]`),
			chromedp.Click(member+`//button[normalize-space()="Make Owner"]`),
			chromedp.WaitVisible(`//p[@role="status" and normalize-space()="Role changed."]`),
			chromedp.WaitVisible(member+`/td[@data-label="Role" and normalize-space()="Owner"]`))
		uid := e.staffUID(t, "invitee@example.com")
		if m, err := e.member(t, e.org, uid); err != nil || m.Role != roster.RoleOwner {
			t.Fatalf("the member after the role change: %+v %v", m, err)
		}
		screenshot(t, owner, "staff")

		later := `//table[@id="invitations"]//tr[td[normalize-space()="later@example.com"]]`
		do(t, owner, "revoke the other invitation",
			chromedp.Click(later+`//a[normalize-space()="Revoke…"]`),
			chromedp.WaitVisible(heading("Revoke the invitation to later@example.com?")),
			chromedp.Click(button("Revoke")),
			chromedp.WaitVisible(`//p[@role="status" and normalize-space()="Invitation revoked."]`),
			chromedp.WaitNotPresent(later))
		list := e.invitations(t, e.org)
		if len(list) != 1 || list[0].InviteeEmail != "invitee@example.com" || list[0].Status != roster.InvitationAccepted {
			t.Fatalf("invitations after revoking: %+v", list)
		}

		fitsWidths(t, owner, public, map[string]string{
			"/console/staff": field("Email"),
			"/console/staff/members/" + uid + "/deactivate": button("Deactivate"),
			"/console/staff/members/" + uid + "/remove":     button("Remove"),
		})
		// The invitee, now staff here, is shown another organization's
		// invitation: it is theirs to answer, and accepting would fail.
		theirs := e.invite(t, e.other, "invitee@example.com")
		fitsWidths(t, invitee, public, map[string]string{
			"/console/invitation?invite_token=" + theirs.Token: button("Accept"),
		})
	})
}

// signInAt signs a staff member in on the console at base, in a desktop's
// window, and waits for the menu.
func signInAt(t *testing.T, ctx context.Context, base, email string) {
	do(t, ctx, "sign in as "+email,
		chromedp.EmulateViewport(1280, 720),
		chromedp.Navigate(base+"/console/sign-in"),
		chromedp.WaitVisible(field("Email")),
		chromedp.SendKeys(field("Email"), email),
		chromedp.SendKeys(field("Password"), password),
		chromedp.Click(button("Sign in")),
		chromedp.WaitVisible(link("Staff")))
}

// staffUID is the uid of the organization's member with this email.
func (e *env) staffUID(t *testing.T, email string) string {
	t.Helper()
	staff, _, err := e.st.Staff(t.Context(), e.org.ID, roster.StaffFilter{Email: email}, "", 1)
	if err != nil || len(staff) != 1 {
		t.Fatalf("no member %s: %v", email, err)
	}
	return staff[0].UID
}
