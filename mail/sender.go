// Package mail delivers the mail queued in the store's outbox over SMTP.
package mail

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"roster"
	"roster/internal/worker"
)

// Config configures a Sender. Zero fields take the defaults below.
type Config struct {
	// URL names the SMTP server:
	//
	//	smtp://[user:pass@]host[:port]   STARTTLS when the server offers it (port 587)
	//	smtps://[user:pass@]host[:port]  implicit TLS (port 465)
	//	smtp://host:port?tls=none        no TLS, for a relay on localhost
	//
	// Empty means no SMTP: each message is logged instead, and marked sent.
	URL     string
	From    string                          // the From address; required with a URL
	Log     *slog.Logger                    // default slog.Default()
	Backoff func(attempt int) time.Duration // wait after a failed attempt; default DefaultBackoff
	Poll    time.Duration                   // how often to look for due mail when not notified; default 5s
	Lease   time.Duration                   // how long a claimed message is reserved for one attempt; default 2m
	Now     func() time.Time                // the clock that says which mail is due; default time.Now
	// GiveUpAfter is how long after it was queued a message that keeps
	// failing is given up on, dead; default DefaultGiveUpAfter. A message
	// the server refuses for good (a 5xx reply) dies at once.
	GiveUpAfter time.Duration
	// Retention is how long a message is kept once sent or given up on;
	// default worker.Retention (30 days).
	Retention time.Duration
}

// DefaultGiveUpAfter is three days: a server down for a weekend still gets
// its mail.
const DefaultGiveUpAfter = 72 * time.Hour

// sendTimeout bounds one delivery, from dial to QUIT.
const sendTimeout = 30 * time.Second

// recordTimeout bounds recording the outcome of a delivery given up at
// shutdown, which the process waits for before it exits.
const recordTimeout = 2 * time.Second

// errInterrupted is the outcome of a delivery given up at shutdown.
var errInterrupted = errors.New("delivery interrupted: the sender shut down")

// DefaultBackoff waits 10s after the first failed attempt and twice as long
// after each further one, up to an hour.
func DefaultBackoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Outbox is the queue a Sender delivers from: the methods it claims a due
// message with and records the outcome by. The store's outbox is one; the
// sender needs no more of the store.
type Outbox interface {
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration) (m roster.OutboxMessage, ok bool, err error)
	MarkMailSent(ctx context.Context, id int64, now time.Time) error
	MarkMailFailed(ctx context.Context, id int64, next time.Time, errText string) error
	MarkMailDead(ctx context.Context, id int64, now time.Time, errText string) error
	PruneMail(ctx context.Context, before time.Time, max int) (int64, error)
}

// Sender delivers the outbox's messages, one at a time. Several senders,
// in one process or many, may share a database: the store's lease keeps
// them from sending the same message at once.
type Sender struct {
	outbox  Outbox
	client  *gomail.Client // nil: log instead of sending
	server  string         // the URL without its password, for logs
	from    string
	log     *slog.Logger
	backoff func(int) time.Duration
	lease   time.Duration
	giveUp  time.Duration
	now     func() time.Time
	loop    *worker.Loop
	pruner  *worker.Pruner
}

// NewSender checks c and returns a Sender for outbox.
func NewSender(outbox Outbox, c Config) (*Sender, error) {
	s := &Sender{outbox: outbox, from: c.From, log: c.Log, backoff: c.Backoff, lease: c.Lease,
		giveUp: cmp.Or(c.GiveUpAfter, DefaultGiveUpAfter), now: c.Now, loop: worker.New(cmp.Or(c.Poll, 5*time.Second))}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if outbox != nil {
		s.pruner = worker.NewPruner("mail", c.Retention, s.log, outbox.PruneMail)
	}
	if s.backoff == nil {
		s.backoff = DefaultBackoff
	}
	if s.lease <= 0 {
		s.lease = 2 * time.Minute
	}
	// A lease that ran out during a delivery would let another sender send
	// the same message at the same time.
	if s.lease <= sendTimeout {
		return nil, fmt.Errorf("mail: lease %v must exceed the send timeout %v", s.lease, sendTimeout)
	}
	if c.URL == "" {
		return s, nil
	}
	if _, err := netmail.ParseAddress(c.From); err != nil {
		return nil, fmt.Errorf("mail: From address %q: %v", c.From, err)
	}
	client, server, err := newClient(c.URL)
	if err != nil {
		return nil, err
	}
	s.client, s.server = client, server
	return s, nil
}

// newClient makes a go-mail client for an smtp:// or smtps:// URL. Its
// errors never quote the URL, which may hold a password.
func newClient(rawURL string) (*gomail.Client, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the URL.
		return nil, "", errors.New("mail: SMTP URL does not parse; want smtp://[user:pass@]host[:port]")
	}
	var opts []gomail.Option
	port := 587
	switch u.Scheme {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, "", fmt.Errorf("mail: SMTP URL: scheme %q; want smtp or smtps", u.Scheme)
	}
	if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.Opaque != "" || u.Fragment != "" {
		return nil, "", errors.New("mail: SMTP URL: want smtp://[user:pass@]host[:port]")
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, "", fmt.Errorf("mail: SMTP URL: invalid port %q", p)
		}
	}
	q := u.Query()
	switch tls := q.Get("tls"); {
	case tls == "none" && u.Scheme == "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case q.Has("tls"):
		return nil, "", fmt.Errorf("mail: SMTP URL: tls=%q; only tls=none, with smtp://, is known", tls)
	}
	q.Del("tls")
	if len(q) > 0 {
		return nil, "", fmt.Errorf("mail: SMTP URL: unknown parameters %q", q.Encode())
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		// Auto-discovery picks the strongest mechanism the server offers,
		// and sends no plain password over a connection without TLS.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	opts = append(opts, gomail.WithPort(port), gomail.WithTimeout(sendTimeout))
	client, err := gomail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, "", fmt.Errorf("mail: SMTP client: %w", err)
	}
	return client, u.Redacted(), nil
}

// Notify wakes Run to look for due mail now; call it after queueing mail.
// It never blocks.
func (s *Sender) Notify() { s.loop.Notify() }

// Run delivers due mail until Shutdown, or until ctx ends, which gives up
// a delivery under way at once. Call it once.
func (s *Sender) Run(ctx context.Context) {
	if s.client == nil {
		s.log.Info("mail sender started without SMTP: mail is logged, not sent")
	} else {
		s.log.Info("mail sender started", "smtp", s.server)
	}
	s.loop.Run(ctx, 1, func(ctx context.Context) bool {
		s.pruner.IfDue(ctx, s.now())
		return s.sendOne(ctx)
	})
}

// Prune deletes the mail sent or given up on longer than the retention
// ago, a batch per transaction, and returns how many messages.
func (s *Sender) Prune(ctx context.Context) (int64, error) { return s.pruner.Prune(ctx, s.now()) }

// Shutdown stops Run. Run claims no more mail from now on; a delivery
// under way may finish until ctx ends, and is then given up, its message
// left due at once for the next start. Shutdown returns once Run has
// returned, so Run must have been called (it may not have started yet).
func (s *Sender) Shutdown(ctx context.Context) { s.loop.Shutdown(ctx) }

// sendOne claims one due message and tries to deliver it. It reports
// whether there was one, so that Run looks again at once.
func (s *Sender) sendOne(ctx context.Context) bool {
	m, ok, err := s.outbox.ClaimMail(ctx, s.now(), s.lease)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("mail: claim failed", "err", err)
		}
		return false
	}
	if !ok {
		return false
	}
	log := s.log.With("id", m.ID, "message_id", m.MessageID, "to", m.To, "attempt", m.Attempts)
	err = s.attempt(ctx, m)
	// The outcome is recorded even when ctx has ended: left unrecorded,
	// the message would wait for its lease to run out.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	switch {
	case errors.Is(err, errInterrupted):
		// Not the server's fault, as far as we know: due at once.
		log.Warn("mail delivery given up at shutdown; it is sent again at the next start")
		if err := s.outbox.MarkMailFailed(rctx, m.ID, s.now(), err.Error()); err != nil {
			log.Error("mail: recording the interruption failed; the message is sent once its lease runs out", "err", err)
		}
	case permanent(err) || (err != nil && s.now().Sub(m.CreatedAt) >= s.giveUp):
		log.Error("mail delivery given up: the message is dead", "err", err, "subject", m.Subject, "queued", m.CreatedAt)
		if err := s.outbox.MarkMailDead(rctx, m.ID, s.now(), err.Error()); err != nil {
			log.Error("mail: recording the dead message failed; it is tried again", "err", err)
		}
	case err != nil:
		next := s.now().Add(s.backoff(m.Attempts))
		log.Warn("mail delivery failed", "err", err, "next_attempt", next)
		if err := s.outbox.MarkMailFailed(rctx, m.ID, next, err.Error()); err != nil {
			log.Error("mail: recording the failure failed", "err", err)
		}
	default:
		if s.client == nil {
			log.Info("mail logged, not sent: no SMTP URL", "subject", m.Subject, "body", m.Body)
		} else {
			log.Info("mail sent", "subject", m.Subject)
		}
		// If this fails the message is sent again after the lease, with
		// the same Message-ID.
		if err := s.outbox.MarkMailSent(rctx, m.ID, s.now()); err != nil {
			log.Error("mail: recording the delivery failed", "err", err)
		}
	}
	return true
}

// permanent reports whether err is the SMTP server's refusal for good, a
// 5xx reply: trying again would be refused again.
func permanent(err error) bool {
	var se *gomail.SendError
	return errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() <= 599
}

// attempt delivers m, unless Shutdown's deadline passes or ctx ends first:
// then it returns errInterrupted at once. go-mail stops watching its context
// once connected, so a delivery given up is left to end by itself, within
// the send timeout; its outcome is dropped, and the message, recorded as
// due, may then be sent twice, with one Message-ID, as after a lease that
// ran out.
func (s *Sender) attempt(ctx context.Context, m roster.OutboxMessage) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	result := make(chan error, 1)
	go func() { result <- s.deliver(ctx, m) }()
	select {
	case err := <-result:
		return err
	case <-ctx.Done(): // Run's, when Shutdown gives up
	}
	select {
	case err := <-result: // it ended meanwhile: its outcome stands
		return err
	default:
		return errInterrupted
	}
}

// deliver sends m over SMTP; without a client it does nothing.
func (s *Sender) deliver(ctx context.Context, m roster.OutboxMessage) error {
	if s.client == nil {
		return nil
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return err
	}
	if err := msg.To(m.To); err != nil {
		return err
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	// The time it was queued: every attempt sends the same message.
	msg.SetDateWithValue(m.CreatedAt)
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	return s.client.DialAndSendWithContext(ctx, msg)
}
