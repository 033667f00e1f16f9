package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthTimeout bounds a health check: a process that does not answer
// within it is not healthy.
const healthTimeout = 5 * time.Second

// healthcheck asks a serve whether it is up (GET /healthz) and fails
// unless it answers 200. It is the container's HEALTHCHECK: a distroless
// image has no curl. Without --url it asks the serve of the same
// environment, at --addr (ROSTER_ADDR), on the loopback when that address
// listens on every interface.
func healthcheck(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlagSet("healthcheck")
	addr := fs.String("addr", "127.0.0.1:8080", "address serve listens on (env ROSTER_ADDR)")
	target := fs.String("url", "", "URL to GET instead, e.g. http://127.0.0.1:8080/readyz")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *target == "" {
		u, err := healthURL(*addr)
		if err != nil {
			return err
		}
		*target = u
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", *target, res.Status)
	}
	_, err = fmt.Fprintf(stdout, "%s: %s\n", *target, res.Status)
	return err
}

// healthURL is the /healthz URL of a serve listening on addr.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
