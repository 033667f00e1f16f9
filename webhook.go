package roster

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strings"
	"time"
)

// The events a webhook endpoint may subscribe to. Each is emitted in the
// transaction of the change it announces, so that nothing is announced
// that did not commit, and nothing committed goes unannounced.
const (
	EventClientCreated      = "client.created"
	EventClientUpdated      = "client.updated"
	EventClientDeleted      = "client.deleted"
	EventClientDeactivated  = "client.deactivated"
	EventClientReactivated  = "client.reactivated"
	EventClientNoteSaved    = "client.note_saved"
	EventSessionRecorded    = "session.recorded"
	EventStaffJoined        = "staff.joined"
	EventStaffRemoved       = "staff.removed"
	EventStaffDeactivated   = "staff.deactivated"
	EventInvitationCreated  = "invitation.created"
	EventInvitationAccepted = "invitation.accepted"
	EventInvitationDeclined = "invitation.declined"
	// EventAll subscribes to every event, those added later included.
	EventAll = "*"
)

// Events are every event type, in the order the documentation lists them.
var Events = []string{
	EventClientCreated, EventClientUpdated, EventClientDeleted, EventClientDeactivated, EventClientReactivated,
	EventClientNoteSaved, EventSessionRecorded, EventStaffJoined, EventStaffRemoved, EventStaffDeactivated,
	EventInvitationCreated, EventInvitationAccepted, EventInvitationDeclined,
}

// MaxWebhooks bounds an organization's endpoints, so that their list is
// short enough to return whole and an event fans out to few deliveries.
const MaxWebhooks = 20

// MaxWebhookURL bounds an endpoint's URL, in bytes.
const MaxWebhookURL = 2000

// WebhookSecretPrefix starts every signing secret, as the Standard
// Webhooks specification writes them.
const WebhookSecretPrefix = "whsec_"

// WebhookIDPrefix starts every webhook-id: an event's uid after it.
const WebhookIDPrefix = "msg_"

// WebhookAttemptsKept is how many attempts at one delivery are kept, the
// last ones: a delivery that fails for the three days it is tried makes
// 27 attempts with back-off, and a retry asked for starts more, but a
// receiver that keeps failing cannot grow the table beyond the kept ones.
// WebhookAttemptsListed of them, the newest, come with each delivery in
// its list.
const (
	WebhookAttemptsKept   = 20
	WebhookAttemptsListed = 5
)

// WebhookSecretTTL is how long a rotated secret still signs deliveries,
// beside the new one: a day to deploy the new secret to the receiver.
const WebhookSecretTTL = 24 * time.Hour

// ParseWebhookEvents validates the events field of a new endpoint: a
// non-empty list of known event types, or "*". Duplicates are dropped.
func ParseWebhookEvents(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, FieldErrorf("events", "must be a non-empty list of event types, such as [%q], or [%q] for all", EventClientCreated, EventAll)
	}
	var events []string
	for _, item := range list {
		e, ok := item.(string)
		if !ok || (e != EventAll && !slices.Contains(Events, e)) {
			return nil, FieldErrorf("events", "unknown event type %v: known are %s, and %q for all", item, strings.Join(Events, ", "), EventAll)
		}
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	if len(events) > 1 && slices.Contains(events, EventAll) {
		return nil, FieldErrorf("events", "%q subscribes to every event: list it alone", EventAll)
	}
	return events, nil
}

// NewWebhookSecret returns a new signing secret: the prefix and the
// standard base64 of 32 random bytes.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Webhook is an endpoint that an organization's events are posted to.
type Webhook struct {
	UID            string
	URL            string
	Events         []string
	CreatedAt      time.Time
	DisabledAt     *time.Time // set when the receiver answered 410 Gone
	DisabledReason string
	// PreviousSecretUntil is when the secret before the last rotation stops
	// signing; nil when it does not, or no longer does.
	PreviousSecretUntil *time.Time
}

// WebhookDelivery is one event's delivery to one endpoint, as its Owner
// sees it. Its ID is the webhook-id, which every attempt sends.
type WebhookDelivery struct {
	ID            string // WebhookIDPrefix and the event's uid
	Type          string
	OccurredAt    time.Time
	Attempts      int
	LastStatus    int // the receiver's last HTTP status; 0 when none answered
	LastError     string
	LastAttemptAt *time.Time
	NextAttemptAt *time.Time // nil once delivered or dead
	DeliveredAt   *time.Time
	DeadAt        *time.Time
	// LastAttempts are the newest WebhookAttemptsListed attempts, newest
	// first; Attempts counts them all, those not kept and one under way.
	LastAttempts []WebhookAttempt
}

// WebhookAttempt is what became of one attempt at a delivery.
type WebhookAttempt struct {
	Number   int       // the delivery's Attempts when it was made
	At       time.Time // when its outcome came
	Status   int       // the receiver's HTTP status; 0 when none answered
	Error    string
	Duration time.Duration
}

// WebhookJob is a claimed delivery, as a dispatcher needs it to make an
// attempt: where to, signed how, and what to send.
type WebhookJob struct {
	ID         int64 // the store's key, for recording the outcome
	WebhookID  string
	Type       string
	OccurredAt time.Time
	// Snapshot is the object the event is about, in the store's own JSON,
	// as it was at the change: a roster.Client, AnalysisSession,
	// StaffMember or Invitation. An imported client's client.created has
	// its UID only until the client is deleted: the renderer reads the
	// client.
	Snapshot []byte
	Body     []byte // nil until the first attempt renders it
	Attempts int    // this attempt's number, from 1
	URL      string
	OrgID    OrgID
	OrgUID   string
	// Secrets are the sealed signing secrets: the current one, then the
	// previous one while it still signs.
	Secrets []string
}

// WebhookOutcome is what became of an attempt.
type WebhookOutcome int

const (
	WebhookDelivered WebhookOutcome = iota // a 2xx answer
	WebhookRetry                           // a failure, tried again at Next
	WebhookDead                            // failed for longer than deliveries are tried
	WebhookGone                            // a 410 Gone: the endpoint is disabled
)

// WebhookResult is the record of one attempt.
type WebhookResult struct {
	Outcome WebhookOutcome
	At      time.Time
	Next    time.Time // for WebhookRetry
	Status  int       // the HTTP status; 0 when none came
	Error   string
	// Attempt is the attempt's number, its WebhookJob's Attempts, and
	// Duration how long it took, rendering the body included.
	Attempt  int
	Duration time.Duration
}
