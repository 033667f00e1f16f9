package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"roster"
)

// query parses the query string. r.URL.Query drops malformed pairs
// silently, which would turn a typo into an ignored field or filter.
func query(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalid("query string: %v", err)
	}
	return q, nil
}

// params returns the query string's parameters, one value each: the one
// parser of every endpoint's query. A parameter not in allowed, or given
// twice, is a 400 naming it, so that a typo or an ambiguous request is not
// answered as if it were something else. An empty value is the same as
// none.
func params(r *http.Request, allowed []string) (map[string]string, error) {
	q, err := query(r)
	if err != nil {
		return nil, err
	}
	v := make(map[string]string, len(q))
	for k, vs := range q {
		if !slices.Contains(allowed, k) {
			return nil, unknownParam(k, allowed)
		}
		if len(vs) > 1 {
			return nil, invalid("%s: given more than once", k)
		}
		v[k] = vs[0]
	}
	return v, nil
}

// unknownParam refuses the query parameter k and names the accepted ones.
func unknownParam(k string, allowed []string) error {
	if len(allowed) == 1 {
		return invalid("%s: unknown query parameter; only %s is accepted", k, allowed[0])
	}
	return invalid("%s: unknown query parameter; accepted are %s", k, strings.Join(allowed, ", "))
}

// intParam reads the integer parameter name, from min to max, or def.
func intParam(v map[string]string, name string, def, min, max int) (int, error) {
	s := v[name]
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, invalid("%s: must be an integer from %d to %d", name, min, max)
	}
	return n, nil
}

// boolParam reads the boolean parameter name: true or false (1 or 0, as the
// Publica.la document's integers), or nil when absent.
func boolParam(v map[string]string, name string) (*bool, error) {
	var b bool
	switch v[name] {
	case "":
		return nil, nil
	case "true", "1":
		b = true
	case "false", "0":
	default:
		return nil, invalid("%s: must be true or false", name)
	}
	return &b, nil
}

// uidParam reads the parameter name, which must be a uid if present.
func uidParam(v map[string]string, name string) (string, error) {
	id := v[name]
	if id != "" && !roster.ValidUID(id) {
		return "", invalid("%s: not a valid uid", name)
	}
	return id, nil
}
