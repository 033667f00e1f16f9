// Package roster holds Roster's domain: organizations, accounts, clients and
// the rules that govern them. It imports neither net/http nor database/sql;
// the api and store packages translate to and from it.
package roster

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error by what the caller can do about it. The api
// package maps each kind to one HTTP status.
type Kind int

const (
	KindInternal     Kind = iota // a bug or an outage: logged, never shown
	KindInvalid                  // the request is malformed or breaks a rule
	KindUnauthorized             // missing or unknown credentials
	KindForbidden                // known caller, not allowed
	KindNotFound                 // absent, or not under the caller's organization
	KindLimit                    // a plan limit is reached
	KindTooLarge                 // the body or an upload is over its limit
	KindUnsupported              // a content type Roster does not accept
	KindThrottled                // too many attempts: wait and try again
	KindUnavailable              // the database or the disk cannot serve now: try again
	KindConflict                 // taken by another (a SCIM userName: 409 uniqueness)
	KindPrecondition             // the caller's If-Match names another version
)

// Error is an error whose message is safe to show to the caller.
type Error struct {
	Kind    Kind
	Message string
	Field   string // the input field at fault, if one is; Message then starts with "Field: "
	// RetryAfter is how long a KindThrottled caller should wait; the api
	// package sends it as Retry-After.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error of the given kind.
func Errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns a KindInvalid *Error about one field, whose message
// starts with the field's name, so that a caller reporting many errors (an
// import's rows) can name the field apart from the message.
func FieldErrorf(field, format string, args ...any) error {
	return &Error{Kind: KindInvalid, Message: field + ": " + fmt.Sprintf(format, args...), Field: field}
}

// Throttled returns a KindThrottled *Error that asks the caller to wait.
// The message ends with the wait in whole seconds, rounded up, as
// Retry-After says it.
func Throttled(wait time.Duration, format string, args ...any) error {
	secs := int64((wait + time.Second - 1) / time.Second)
	return &Error{Kind: KindThrottled, RetryAfter: time.Duration(secs) * time.Second,
		Message: fmt.Sprintf(format, args...) + ": try again in " + Count(secs, "second")}
}

// ErrVersionChanged refuses a change made on a version of the object that
// is no longer current.
var ErrVersionChanged = Errorf(KindPrecondition, "the resource was changed since the version given in If-Match")

// KindOf reports the kind of err; errors that are not *Error are internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}
