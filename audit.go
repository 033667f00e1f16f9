package roster

import (
	"context"
	"time"
)

// Actor is who makes a change: a staff member or person signed in with a
// token, a staff member's API key, or the operator at the command line.
// The api package puts it in the request's context; the store writes it
// into the audit log in the transaction of each change.
type Actor struct {
	UID        string // account uid; "" for the operator
	Kind       string // ActorToken, ActorAPIKey, ActorOperator, ActorAnonymous or ActorSystem
	KeyID      string // the API key's public id, when Kind is ActorAPIKey
	RemoteAddr string
}

// Actor kinds.
const (
	ActorToken     = "token"
	ActorAPIKey    = "api_key"
	ActorOperator  = "operator"
	ActorAnonymous = "anonymous" // before signing in: sign-up, email verification
	ActorSystem    = "system"    // Roster itself: mail it gave up on
)

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries; without one, the change comes
// from the operator's command line.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Kind: ActorOperator}
}

// AuditEntry is one change in the audit log. Fields names the fields that
// changed, never their values, so that no secret can reach the log.
type AuditEntry struct {
	ID         string // a uid: opaque, so that it tells nothing of other organizations' entries
	At         time.Time
	Actor      Actor
	Action     string // e.g. "client.update"
	ObjectType string // client, account, invitation, api_key, organization
	ObjectUID  string
	Fields     []string
}

// AuditFilter selects entries of the audit log; zero values do not filter.
type AuditFilter struct {
	ActorUID  string
	ObjectUID string
	Action    string
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	BeforeID  string    // keyset: entries older than the one with this ID
	Limit     int
}
