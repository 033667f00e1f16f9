package roster

import (
	"fmt"
	"net/url"
	"strings"
)

// LinkOrigins are the origins (scheme://host[:port]) that links in mail may
// point to: the server's own public URL and the front ends the operator
// allows. A caller's platform_link outside them is refused, so that no
// caller can make Roster mail someone a link to a host the caller chose
// (where the code in it would be read by whoever runs that host).
type LinkOrigins struct{ origins []string }

// NewLinkOrigins returns the origins of the given URLs, which must be
// absolute http(s) URLs without userinfo; only their origins count.
func NewLinkOrigins(urls ...string) (LinkOrigins, error) {
	var o LinkOrigins
	for _, raw := range urls {
		if raw = strings.TrimSpace(raw); raw == "" {
			continue
		}
		origin, err := originOf(raw)
		if err != nil {
			return LinkOrigins{}, fmt.Errorf("%q: %v", raw, err)
		}
		o.origins = append(o.origins, origin)
	}
	return o, nil
}

// originOf returns the origin of an absolute http(s) URL, in the form
// browsers compare: lower-case scheme and host, and the port only when it
// is not the scheme's default.
func originOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", fmt.Errorf("not a URL")
	case u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.Opaque != "":
		return "", fmt.Errorf("must be an absolute http or https URL")
	case u.User != nil:
		return "", fmt.Errorf("must not carry a user name or password")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" || u.Scheme == "https" && port == "443" || u.Scheme == "http" && port == "80" {
		return u.Scheme + "://" + hostPort(host, ""), nil
	}
	return u.Scheme + "://" + hostPort(host, port), nil
}

func hostPort(host, port string) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 literal
	}
	if port == "" {
		return host
	}
	return host + ":" + port
}

// Check validates an optional platform_link (the request field name is
// field): empty, or an absolute http(s) URL of at most 2000 characters on
// one of the allowed origins.
func (o LinkOrigins) Check(field, link string) (string, error) {
	if link == "" {
		return "", nil
	}
	if len(link) > 2000 {
		return "", FieldErrorf(field, "must be at most 2000 characters")
	}
	origin, err := originOf(link)
	if err != nil {
		return "", FieldErrorf(field, "%v", err)
	}
	for _, allowed := range o.origins {
		if origin == allowed {
			// Spelt as the origin is, so that the mail shows the host the
			// operator allowed, not a variant of it.
			u, _ := url.Parse(link)
			u.Scheme, u.Host, _ = strings.Cut(origin, "://")
			return u.String(), nil
		}
	}
	if len(o.origins) == 0 {
		return "", FieldErrorf(field, "this server sends no links in mail, only codes: leave %s out, "+
			"or ask the operator to allow your front end's origin (--link-origins)", field)
	}
	return "", FieldErrorf(field, "%s is not an origin this server links to in mail: allowed are %s "+
		"(the operator sets them with --link-origins)", origin, strings.Join(o.origins, ", "))
}

// Origins lists the allowed origins.
func (o LinkOrigins) Origins() []string { return o.origins }

// withParam adds a query parameter to a link that LinkOrigins.Check
// accepted.
func withParam(link, name, value string) string {
	u, _ := url.Parse(link)
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}
