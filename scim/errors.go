// Package scim is Roster's SCIM 2.0 protocol (RFC 7643, RFC 7644) without
// HTTP or storage: the User resource as a client, filters, PATCH
// operations and the discovery documents.
package scim

import (
	"errors"
	"fmt"

	"roster"
)

// The scimType values of RFC 7644 §3.12 that Roster answers with.
const (
	TypeInvalidFilter = "invalidFilter"
	TypeInvalidSyntax = "invalidSyntax"
	TypeInvalidValue  = "invalidValue"
	TypeInvalidPath   = "invalidPath"
	TypeNoTarget      = "noTarget"
	TypeMutability    = "mutability"
	TypeUniqueness    = "uniqueness"
	TypeTooMany       = "tooMany"
)

// typed is an error with the scimType that details it.
type typed struct {
	scimType string
	err      error
}

func (e *typed) Error() string { return e.err.Error() }
func (e *typed) Unwrap() error { return e.err }

// Errorf returns a KindInvalid error of the given scimType.
func Errorf(scimType, format string, args ...any) error {
	return &typed{scimType, roster.Errorf(roster.KindInvalid, format, args...)}
}

// TypeOf returns the scimType of err, or "" when it has none.
func TypeOf(err error) string {
	var t *typed
	if errors.As(err, &t) {
		return t.scimType
	}
	return ""
}

// ErrorBody is an error as SCIM answers it (RFC 7644 §3.12).
type ErrorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
}

// NewErrorBody is the body of an error answered with status.
func NewErrorBody(status int, scimType, detail string) ErrorBody {
	return ErrorBody{Schemas: []string{ErrorSchema}, Status: fmt.Sprint(status), ScimType: scimType, Detail: detail}
}
