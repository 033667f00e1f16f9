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
