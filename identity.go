package roster

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// How long the codes mailed to prove a mailbox work. A reset code is
// short-lived: it replaces a password.
const (
	SignUpTTL        = 48 * time.Hour
	PasswordResetTTL = 30 * time.Minute
)

// SignUpMail carries the code that finishes a sign-up. The code alone is
// not enough: whoever confirms must also give the password chosen at
// sign-up, so a person who follows a link they did not ask for hands
// nobody their address.
func SignUpMail(email, platformLink, token string) Mail {
	return Mail{To: email, Subject: "Finish signing up for Roster",
		Body: codeOrLink("To finish signing up, confirm your email address", platformLink, "verify_token", token) +
			"You will be asked for the password you chose. The code expires in 48 hours.\n\n" +
			"If you did not sign up for Roster, ignore this message: nothing happens without that password.\n"}
}

// ExistingAccountMail answers a sign-up with an address that already has an
// account: the sign-up's answer is the same either way, so that it does not
// tell which addresses have accounts, and the mail says which case it is.
func ExistingAccountMail(email string) Mail {
	return Mail{To: email, Subject: "You already have a Roster account",
		Body: "Someone, perhaps you, tried to sign up for Roster with this email address, " +
			"but it already has an account.\n\nSign in instead. If you forgot your password, " +
			"ask for a password reset: you will get a code by mail.\n\n" +
			"If it was not you, ignore this message: nothing was changed.\n"}
}

// PasswordResetMail carries a password reset code.
func PasswordResetMail(email, platformLink, token string) Mail {
	return Mail{To: email, Subject: "Reset your Roster password",
		Body: codeOrLink("To choose a new password", platformLink, "reset_token", token) +
			"The code works once and expires in 30 minutes. Using it signs you out everywhere.\n\n" +
			"If you did not ask for this, ignore this message: your password stays as it is.\n"}
}

// EmailToken is a code mailed to prove a mailbox. Only its hash is kept.
type EmailToken struct {
	Hash      []byte
	ExpiresAt time.Time
}

// ErrBadCode answers a sign-up or reset code that is unknown, used or
// expired, alike.
var ErrBadCode = FieldErrorf("token", "invalid, used or expired code: ask for a new one")

// SignUp is a sign-up to start: nothing is created until its code comes
// back with its password (the store's CompleteSignUp).
type SignUp struct {
	Email, DisplayName, PasswordHash string
	Token                            EmailToken
	Mail                             Mail // carries the code
	// ExistsMail goes instead when the address already has a verified
	// account: the caller's answer is the same, the mail tells which case
	// it is.
	ExistsMail Mail
	ClientAddr string // the address of the client that asked, for its mail limit
}

// PasswordReset is a password reset to start.
type PasswordReset struct {
	Email      string
	Token      EmailToken
	Mail       Mail
	ClientAddr string
}

// LinkInvitationMail asks the person with a client's email to link their
// account to the organization's profile of them.
func LinkInvitationMail(inv LinkInvitation) Mail {
	link := "sign in to Roster with this email address and look at your link invitations"
	if inv.PlatformLink != "" {
		link = withParam(inv.PlatformLink, "link_invitation", inv.UID)
	}
	return Mail{To: inv.Email, Subject: fmt.Sprintf("%s asks to link your Roster account", inv.CompanyName),
		Body: fmt.Sprintf("%s keeps an athlete profile of you on Roster and asks you to link your account to it.\n\n"+
			"If you accept, you can see and edit that profile, and %s can sign you out and limit how many "+
			"devices you are signed in on. You can undo the link at any time.\n\n"+
			"To answer: %s\n\nThe request expires on %s. If you do not know %s, ignore this message.\n",
			inv.CompanyName, inv.CompanyName, link, inv.ExpiresAt.UTC().Format("2 January 2006 at 15:04 UTC"),
			inv.CompanyName)}
}

// codeOrLink is the part of a mail that carries a code: a link on the
// front end when it gave one (on an allowed origin), and the code itself
// either way, to type in.
func codeOrLink(intro, platformLink, param, token string) string {
	if platformLink == "" {
		return fmt.Sprintf("%s with this code:\n\n%s\n\n", intro, token)
	}
	return fmt.Sprintf("%s here: %s\n\nor with this code: %s\n\n", intro, withParam(platformLink, param, token), token)
}

// LinkInvitation is an organization's request that a person link their
// account to its client profile of them.
type LinkInvitation struct {
	UID          string
	OrgUID       string
	CompanyName  string
	ClientUID    string
	Email        string // the client's email, to which it was sent
	PlatformLink string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// ErrLinkInvitationNotFound answers for a link invitation that does not
// exist, was answered, expired, or is not addressed to the caller, alike.
var ErrLinkInvitationNotFound = Errorf(KindNotFound, "link invitation not found, answered or expired")

// LinkRequest asks the person with a client's email to link their account.
type LinkRequest struct {
	Client       ClientRef
	InviterUID   string
	PlatformLink string // checked against the allowed origins by the caller
	TTL          time.Duration
}

// ClaimLinks asks that every client a create or an import makes get a link
// invitation, in the transaction that makes it: a club that imports its
// roster has its athletes asked to link their accounts at once. The link
// is the server's own page, never one the caller names.
type ClaimLinks struct {
	InviterUID   string
	PlatformLink string // the server's page where a person answers; "" for none
	TTL          time.Duration
	Limits       Limits
}

// TooManyClaimLinks refuses an import whose new clients would get more
// link invitations than the left ones its organization may still send
// within limit, until retry has passed: the import is all or nothing, so
// it sends none rather than some.
func TooManyClaimLinks(left int, limit Rate, retry time.Duration) error {
	return Throttled(retry, "claim_links: this import has more new clients than the %s this organization may "+
		"still send (at most %d per %s); import it in parts, or without claim_links and send the links later",
		Count(left, "link invitation"), limit.Count, limit.Per)
}

// OwnClient is a client profile of the signed-in person: a client that
// its organization asked the person to link to their account, and the
// person accepted (see the store's RespondLink).
type OwnClient struct {
	Org         OrgID
	OrgUID      string
	CompanyName string
	Client      Client
}

// Rate is an abuse limit: at most Count events per window of Per. A zero
// Count means no limit.
type Rate struct {
	Count int
	Per   time.Duration
}

// ParseRate reads a rate written "COUNT/DURATION", e.g. "5/1h" or
// "20/10m"; "0" or "off" turn the limit off.
func ParseRate(s string) (Rate, error) {
	if s == "0" || s == "off" {
		return Rate{}, nil
	}
	count, per, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 1 {
		return Rate{}, fmt.Errorf("%q: want COUNT/DURATION such as 5/1h, or off", s)
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return Rate{}, fmt.Errorf("%q: the duration after / must be positive, such as 1h or 10m", s)
	}
	return Rate{Count: n, Per: d}, nil
}

// String writes r the way ParseRate reads it.
func (r Rate) String() string {
	if r.Count == 0 {
		return "off"
	}
	return fmt.Sprintf("%d/%s", r.Count, shortDuration(r.Per))
}

// shortDuration writes d without its zero tails: 1h, 10m, 1h30m, 90s is 1m30s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Limits are the abuse limits, shared by every process through the store.
type Limits struct {
	MailPerAddress        Rate // sign-up, verification and reset mail to one address
	MailPerClient         Rate // the same mail asked for from one client address (IP)
	InvitationsPerOrg     Rate // staff invitations an organization sends
	LinkInvitationsPerOrg Rate // link invitations an organization sends
}

// DefaultLimits are generous for people and tight for scripts: a person
// asks for a handful of codes, an organization invites dozens of staff in
// an hour, not thousands.
var DefaultLimits = Limits{
	MailPerAddress:        Rate{5, time.Hour},
	MailPerClient:         Rate{20, time.Hour},
	InvitationsPerOrg:     Rate{50, time.Hour},
	LinkInvitationsPerOrg: Rate{500, time.Hour},
}
