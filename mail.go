package roster

// Mail is a plain-text message to one recipient. The store queues it in the
// transaction that causes it, and the mail package's sender delivers it.
type Mail struct {
	To      string // an RFC 5322 address: "a@example.com" or "Name <a@example.com>"
	Subject string
	Body    string // plain text
}
