package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"roster"
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
}

// writeError answers with {"error": ...}. Internal errors are logged with
// their detail and answered with a generic message.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	kind, msg := errorMessage(r, err)
	if kind == roster.KindUnauthorized {
		w.Header().Set("WWW-Authenticate", `API-KEY, Bearer`)
	}
	var e *roster.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(e.RetryAfter/time.Second), 10))
	}
	writeJSON(w, statusOf[kind], map[string]string{"error": msg})
}

// errorMessage returns the kind of err and the message to show for it,
// logging the detail of an internal error.
func errorMessage(r *http.Request, err error) (roster.Kind, string) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = roster.Errorf(roster.KindTooLarge, "request body is larger than %d bytes", tooBig.Limit)
	}
	kind := roster.KindOf(err)
	if kind == roster.KindInternal {
		logFrom(r.Context()).Error("internal error", "err", err)
		return kind, "internal server error"
	}
	return kind, err.Error()
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
	if l, ok := ctx.Value(logKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

type logKey struct{}
