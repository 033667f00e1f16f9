package roster

import "time"

// Mail is a plain-text message to one recipient. The store queues it in the
// transaction that causes it, and the mail package's sender delivers it.
type Mail struct {
	To      string // an RFC 5322 address: "a@example.com" or "Name <a@example.com>"
	Subject string
	Body    string // plain text
}

// OutboxMessage is a queued mail as a sender sees it.
type OutboxMessage struct {
	ID        int64
	MessageID string // the Message-ID header, without angle brackets
	Mail
	Attempts  int    // delivery attempts so far, counting the one just claimed
	LastError string // why the previous attempt failed; "" if none did
	CreatedAt time.Time
}

// Mail kinds: what a queued mail is for, when it is for an organization.
const (
	MailInvitation     = "invitation"      // an invitation to become an Admin; resendable
	MailLinkInvitation = "link_invitation" // an invitation to link a client to its person's account
)

// DeadMail is a message Roster gave up on: the SMTP server refused it for
// good, or it kept failing for too long.
type DeadMail struct {
	UID         string // the Message-ID's local part
	Kind        string // MailInvitation or MailLinkInvitation
	To          string
	LastError   string
	FailedAt    time.Time // when Roster gave up
	CreatedAt   time.Time
	InviteToken string // the invitation it told of, when Kind is MailInvitation
}
