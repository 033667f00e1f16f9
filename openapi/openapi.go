// Package openapi holds Roster's OpenAPI 3.1 document, hand-written in
// roster.openapi.json and embedded so that the server can serve it at
// /openapi.json and tests can check responses against it.
//
// The document describes every client operation twice, under the v2 prefix
// /client-management/clients and the v1 prefix /user-management/users, with
// the same schemas; the package test keeps the two from drifting apart.
package openapi

import _ "embed"

// Document is the OpenAPI document as JSON.
//
//go:embed roster.openapi.json
var Document []byte
