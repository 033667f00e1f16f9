// Package webhook delivers the events queued in the store's webhook outbox
// to their endpoints, signed as the Standard Webhooks specification says
// (https://www.standardwebhooks.com), modelled on package mail's sender:
// claims with a lease, so that several processes deliver each event once
// between them, back-off after failures, and a Shutdown that stops
// claiming at once.
package webhook

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/internal/worker"
	"roster/keyring"
)

// Outbox is the queue a Dispatcher delivers from; the store is one.
type Outbox interface {
	ClaimWebhook(ctx context.Context, now time.Time, lease time.Duration) (roster.WebhookJob, bool, error)
	SetWebhookBody(ctx context.Context, id int64, body []byte) error
	FinishWebhook(ctx context.Context, id int64, r roster.WebhookResult) error
	PruneWebhookDeliveries(ctx context.Context, before time.Time, max int) (int64, error)
}

// Render turns an event's snapshot into the body's data: the object as
// the API shows it.
type Render func(ctx context.Context, j *roster.WebhookJob) (any, error)

// Config configures a Dispatcher. Zero fields take the defaults below.
type Config struct {
	Keyring *keyring.Ring // opens the endpoints' sealed secrets; required
	Render  Render        // required
	Policy  Policy        // where deliveries may connect to
	Log     *slog.Logger  // default slog.Default()
	Workers int           // deliveries under way at once; default 4
	Poll    time.Duration // how often to look for due deliveries when not notified; default 5s
	Lease   time.Duration // how long a claimed delivery is reserved for one attempt; default 1m
	Now     func() time.Time
	// GiveUpAfter is how long after its event a delivery that keeps
	// failing is given up on; default DefaultGiveUpAfter.
	GiveUpAfter time.Duration
	// Retention is how long a delivery is kept, and listed, once delivered
	// or given up on; default worker.Retention (30 days).
	Retention time.Duration
	// Timeout bounds one attempt, from dial to the end of the answer;
	// default DefaultTimeout. The lease must exceed it.
	Timeout time.Duration
}

// DefaultGiveUpAfter is three days, as the issue asks: a receiver down for
// a weekend still gets its events.
const DefaultGiveUpAfter = 72 * time.Hour

// DefaultTimeout is Config.Timeout's default: a receiver that takes
// longer holds a worker for nothing, and is tried again later.
const DefaultTimeout = 10 * time.Second

// maxAnswer is how much of a receiver's answer is read, and kept in the
// attempt's error and the delivery's last.
const maxAnswer = 1024

// recordTimeout bounds recording an outcome after ctx ended.
const recordTimeout = 2 * time.Second

// Backoff waits 30s after the first failed attempt and twice as long after
// each further one, up to four hours: the first retry comes within a
// minute, and a receiver down for days is still tried a few times a day.
func Backoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < 4*time.Hour; i++ {
		d *= 2
	}
	return min(d, 4*time.Hour)
}

// Dispatcher delivers the outbox's due deliveries with a few workers.
type Dispatcher struct {
	outbox  Outbox
	ring    *keyring.Ring
	render  Render
	client  *http.Client
	log     *slog.Logger
	workers int
	lease   time.Duration
	timeout time.Duration
	giveUp  time.Duration
	now     func() time.Time
	loop    *worker.Loop

	allowHTTP bool // Policy.AllowHTTP
	pruner    *worker.Pruner
}

// New checks c and returns a Dispatcher for outbox.
func New(outbox Outbox, c Config) (*Dispatcher, error) {
	if c.Keyring == nil || c.Render == nil {
		return nil, errors.New("webhook: a dispatcher needs a keyring and a renderer")
	}
	d := &Dispatcher{outbox: outbox, ring: c.Keyring, render: c.Render, log: cmp.Or(c.Log, slog.Default()),
		workers: cmp.Or(c.Workers, 4), lease: cmp.Or(c.Lease, time.Minute), timeout: cmp.Or(c.Timeout, DefaultTimeout),
		giveUp: cmp.Or(c.GiveUpAfter, DefaultGiveUpAfter), allowHTTP: c.Policy.AllowHTTP, now: c.Now, loop: worker.New(cmp.Or(c.Poll, 5*time.Second))}
	if d.now == nil {
		d.now = time.Now
	}
	d.pruner = worker.NewPruner("webhook deliveries", c.Retention, d.log, outbox.PruneWebhookDeliveries)
	// A lease that ran out during an attempt would let another dispatcher
	// make the same attempt at the same time.
	if d.lease <= d.timeout+recordTimeout {
		return nil, fmt.Errorf("webhook: lease %v must exceed the attempt timeout %v and %v to record it", d.lease, d.timeout, recordTimeout)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // a proxy would connect to what the dialer's check never sees
	transport.DialContext = (&net.Dialer{Timeout: d.timeout, Control: c.Policy.control}).DialContext
	d.client = &http.Client{Transport: transport, Timeout: d.timeout,
		// A redirect would lead where no check of the URL went: it is
		// the receiver's answer, a failure.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return d, nil
}

// Notify wakes a worker to look for due deliveries now. It never blocks.
func (d *Dispatcher) Notify() { d.loop.Notify() }

// Run delivers due events until Shutdown, or until ctx ends. Call it once.
func (d *Dispatcher) Run(ctx context.Context) {
	d.loop.Run(ctx, d.workers, func(ctx context.Context) bool {
		d.pruner.IfDue(ctx, d.now())
		return d.DeliverOne(ctx)
	})
}

// Prune deletes the deliveries delivered or given up on longer than the
// retention ago, a batch per transaction, and returns how many.
func (d *Dispatcher) Prune(ctx context.Context) (int64, error) { return d.pruner.Prune(ctx, d.now()) }

// Shutdown stops Run: no delivery is claimed from now on; those under way
// may finish until ctx ends, and are then given up, due again at once for
// the next start. It returns once Run has returned.
func (d *Dispatcher) Shutdown(ctx context.Context) { d.loop.Shutdown(ctx) }

// DeliverDue makes an attempt at every delivery due now, one after the
// other, and returns how many: what Run's workers do, for tests that move
// a clock rather than wait.
func (d *Dispatcher) DeliverDue(ctx context.Context) int {
	n := 0
	for d.DeliverOne(ctx) {
		n++
	}
	return n
}

// DeliverOne claims one due delivery and makes an attempt at it. It
// reports whether there was one.
func (d *Dispatcher) DeliverOne(ctx context.Context) bool {
	j, ok, err := d.outbox.ClaimWebhook(ctx, d.now(), d.lease)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("webhook: claim failed", "err", err)
		}
		return false
	}
	if !ok {
		return false
	}
	log := d.log.With("webhook_id", j.WebhookID, "type", j.Type, "url", j.URL, "attempt", j.Attempts)
	start := d.now()
	r := d.attempt(ctx, &j)
	r.Attempt, r.Duration = j.Attempts, r.At.Sub(start)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	switch {
	case r.Outcome == roster.WebhookDelivered:
		log.Info("webhook delivered", "status", r.Status)
	case ctx.Err() != nil:
		// Given up at shutdown: due again at once, for the next start.
		r.Outcome, r.Next = roster.WebhookRetry, r.At
		log.Warn("webhook delivery given up at shutdown; it is made again at the next start")
	case r.Outcome == roster.WebhookGone:
		log.Warn("webhook endpoint answered 410 Gone: it is disabled")
	case r.At.Sub(j.OccurredAt) >= d.giveUp:
		r.Outcome = roster.WebhookDead
		log.Error("webhook delivery given up: it is dead", "status", r.Status, "err", r.Error)
	default:
		r.Outcome, r.Next = roster.WebhookRetry, r.At.Add(Backoff(j.Attempts))
		log.Warn("webhook delivery failed", "status", r.Status, "err", r.Error, "next_attempt", r.Next)
	}
	if err := d.outbox.FinishWebhook(rctx, j.ID, r); err != nil {
		log.Error("webhook: recording the attempt failed; it is made again once its lease runs out", "err", err)
	}
	return true
}

// attempt renders j's body if it has none yet, keeps it, and posts it. Its
// result's Outcome is WebhookDelivered, WebhookGone or, for any other
// failure, WebhookRetry, which DeliverOne settles.
func (d *Dispatcher) attempt(ctx context.Context, j *roster.WebhookJob) roster.WebhookResult {
	fail := func(err error) roster.WebhookResult {
		return roster.WebhookResult{Outcome: roster.WebhookRetry, At: d.now(), Error: err.Error()}
	}
	if j.Body == nil {
		body, err := d.body(ctx, j)
		if err != nil {
			return fail(fmt.Errorf("rendering the body: %w", err))
		}
		// Kept before it is sent: every later attempt sends these bytes.
		if err := d.outbox.SetWebhookBody(ctx, j.ID, body); err != nil {
			return fail(fmt.Errorf("keeping the body: %w", err))
		}
		j.Body = body
	}
	secrets, err := d.secrets(j.Secrets)
	if err != nil {
		return fail(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.URL, bytes.NewReader(j.Body))
	if err != nil {
		return fail(err)
	}
	// An endpoint made while --webhook-allow-http was on gets nothing in
	// the clear once it is off.
	if req.URL.Scheme != "https" && !d.allowHTTP {
		return fail(fmt.Errorf("webhook: %w: the URL is not https, and this server sends webhooks over https only", errRefused))
	}
	timestamp := strconv.FormatInt(d.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Roster-Webhooks")
	req.Header.Set("webhook-id", j.WebhookID)
	req.Header.Set("webhook-timestamp", timestamp)
	req.Header.Set("webhook-signature", Sign(secrets, j.WebhookID, timestamp, j.Body))
	res, err := d.client.Do(req)
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		// Said plainly in the deliveries list: the receiver was too slow.
		return fail(fmt.Errorf("no answer within %v: %w", d.timeout, err))
	}
	if err != nil {
		return fail(err)
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	r := roster.WebhookResult{At: d.now(), Status: res.StatusCode}
	switch {
	case res.StatusCode >= 200 && res.StatusCode <= 299:
		r.Outcome = roster.WebhookDelivered
	case res.StatusCode == http.StatusGone:
		r.Outcome, r.Error = roster.WebhookGone, "410 Gone: "+string(answer)
	default:
		r.Outcome, r.Error = roster.WebhookRetry, res.Status+": "+string(answer)
	}
	return r
}

// body renders the Standard Webhooks payload of j.
func (d *Dispatcher) body(ctx context.Context, j *roster.WebhookJob) ([]byte, error) {
	data, err := d.render(ctx, j)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      any    `json:"data"`
	}{j.Type, j.OccurredAt.UTC().Format(time.RFC3339Nano), data})
}

// secrets opens the sealed secrets of an endpoint and decodes each.
func (d *Dispatcher) secrets(sealed []string) ([][]byte, error) {
	keys := make([][]byte, len(sealed))
	for i, s := range sealed {
		plain, _, err := d.ring.Open(SecretName, s)
		if err != nil {
			return nil, fmt.Errorf("webhook: opening the signing secret: %w", err)
		}
		if keys[i], err = DecodeSecret(plain); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// SecretName is the name signing secrets are sealed under by the keyring.
const SecretName = "webhook_secret"

// DecodeSecret returns the bytes of a whsec_ secret.
func DecodeSecret(secret string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, roster.WebhookSecretPrefix))
	if err != nil {
		return nil, fmt.Errorf("webhook: secret is not whsec_ and base64: %w", err)
	}
	return b, nil
}

// Sign is the webhook-signature header: for each secret, "v1," and the
// base64 of the HMAC-SHA256 of "id.timestamp.body", space-separated.
func Sign(secrets [][]byte, id, timestamp string, body []byte) string {
	sigs := make([]string, len(secrets))
	for i, key := range secrets {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + timestamp + "."))
		mac.Write(body)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return strings.Join(sigs, " ")
}
