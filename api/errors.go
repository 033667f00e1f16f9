package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/auth"
	"roster/store"
)

// statusOf is the one place where an error kind becomes an HTTP status.
var statusOf = map[roster.Kind]int{
	roster.KindInternal:     http.StatusInternalServerError,
	roster.KindInvalid:      http.StatusBadRequest,
	roster.KindUnauthorized: http.StatusUnauthorized,
	roster.KindForbidden:    http.StatusForbidden,
	roster.KindNotFound:     http.StatusNotFound,
	roster.KindLimit:        http.StatusNotFound, // the seed answers a reached plan limit with 404
	roster.KindTooLarge:     http.StatusRequestEntityTooLarge,
	roster.KindUnsupported:  http.StatusUnsupportedMediaType,
	roster.KindThrottled:    http.StatusTooManyRequests,
	roster.KindUnavailable:  http.StatusServiceUnavailable,
	roster.KindConflict:     http.StatusConflict,
	roster.KindPrecondition: http.StatusPreconditionFailed,
}

// writeError answers with {"error": ...}. Internal errors are logged with
// their detail and answered with a generic message.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	err = shown(r, err)
	kind, msg := errorMessage(r, err)
	if kind == roster.KindUnauthorized {
		for _, c := range challenges(r, err, msg) {
			w.Header().Add("WWW-Authenticate", c)
		}
	}
	var e *roster.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(e.RetryAfter/time.Second), 10))
	}
	if isSCIM(r) {
		writeSCIMError(w, scimStatusOf(kind), err, msg)
		return
	}
	writeJSON(w, statusOf[kind], map[string]string{"error": msg})
}

// credentialsRefused is a 401 for the credentials the request sent, so
// that its challenge can say what was wrong with them.
type credentialsRefused struct{ error }

func (e credentialsRefused) Unwrap() error { return e.error }

// The challenges of a 401 (RFC 9110 §11.6.1), one per scheme: a bearer
// token ("Authorization: Bearer <token>") and an API key ("API-KEY: <key>"
// or "Authorization: API-KEY <key>").
const (
	bearerChallenge = `Bearer realm="roster"`
	apiKeyChallenge = `API-KEY realm="roster"`
)

// challenges returns the WWW-Authenticate values of a 401. Refused
// credentials are answered in their own scheme, a bearer token with RFC
// 6750's invalid_token and the reason; any other 401 (none sent, or a
// wrong password at /auth/login) names both schemes, without an error
// code (RFC 6750 §3.1).
func challenges(r *http.Request, err error, msg string) []string {
	cred, sent := auth.FromRequest(r)
	switch {
	case !sent || !errors.As(err, new(credentialsRefused)):
		return []string{bearerChallenge, apiKeyChallenge}
	case cred.Bearer != "":
		return []string{bearerChallenge + `, error="invalid_token", error_description="` + quotable(msg) + `"`}
	}
	return []string{apiKeyChallenge}
}

// quotable makes msg fit a quoted error_description, which holds printable
// ASCII but for " and \ (RFC 6750 §3).
func quotable(msg string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case r < 0x20 || r > 0x7e || r == '\\':
			return '?'
		}
		return r
	}, msg)
}

// errorMessage returns the kind of err and the message to show for it,
// logging the detail of an internal error.
func errorMessage(r *http.Request, err error) (roster.Kind, string) {
	err = shown(r, err)
	kind := roster.KindOf(err)
	if kind == roster.KindInternal {
		logFrom(r.Context()).Error("internal error", "err", err)
		return kind, "internal server error"
	}
	return kind, err.Error()
}

// unavailableRetry is the Retry-After of a 503: long enough for a pool to
// free a connection or a failed-over database to answer, short enough that
// a client does not give up on a blip.
const unavailableRetry = 2 * time.Second

// shown is err as the caller is told of it: a body over its limit is
// KindTooLarge, and an infrastructure fault is KindUnavailable, answered
// with 503 and Retry-After rather than a 500, since the request may well
// succeed when sent again. Such a fault is one the store recognises (a
// connection refused or reset, PostgreSQL out of connections or shutting
// down, SQLite busy, a disk full or failing) or the request's budget spent
// waiting, for the database, a pool connection or a lock.
func shown(r *http.Request, err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return roster.Errorf(roster.KindTooLarge, "request body is larger than %d bytes", tooBig.Limit)
	}
	if roster.KindOf(err) != roster.KindInternal {
		return err
	}
	spent := errors.Is(context.Cause(r.Context()), context.DeadlineExceeded)
	if !spent && !store.Unavailable(err) {
		return err
	}
	logFrom(r.Context()).Warn("unavailable", "err", err, "budget_spent", spent)
	return &roster.Error{Kind: roster.KindUnavailable, RetryAfter: unavailableRetry,
		Message: "service unavailable: the database or storage did not answer in time; try again in " +
			roster.Count(int64(unavailableRetry/time.Second), "second")}
}

// marshalJSON is json.Marshal that leaves &, < and > as they are, as
// writeJSON does. Their escapes guard JSON pasted into HTML; Roster's
// answers are JSON, NDJSON or CSV, all with nosniff, never a page.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

type message struct {
	Message string `json:"message"`
}

func invalid(format string, args ...any) error {
	return roster.Errorf(roster.KindInvalid, format, args...)
}

// logFrom returns the request's logger, which carries its request id.
func logFrom(ctx interface{ Value(any) any }) *slog.Logger {
	if l, ok := ctx.Value(logKey{}).(requestLog); ok {
		return l.log.With("request_id", l.id)
	}
	return slog.Default()
}

// requestLog is what logFrom needs to make a request's logger. The logger
// is made only when a handler logs, which few requests do: made for every
// request, it cost 1 % of a read by id.
type requestLog struct {
	log *slog.Logger
	id  string
}

type logKey struct{}
