package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"roster/api"
	"roster/auth"
	"roster/mail"
	"roster/photo"
)

const (
	shutdownGrace      = 30 * time.Second // how long in-flight requests may run after a signal
	defaultMemoryLimit = 40 << 20
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbConfig
	fs := newFlagSet("serve")
	db.register(fs)
	addr := fs.String("addr", env("ROSTER_ADDR", "127.0.0.1:8080"), "address to listen on (env ROSTER_ADDR)")
	publicURL := fs.String("public-url", env("ROSTER_PUBLIC_URL", ""),
		"base URL clients reach Roster at, for photo links, e.g. https://roster.example.com; default: relative links (env ROSTER_PUBLIC_URL)")
	var c serveConfig
	c.register(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := c.validate(*publicURL); err != nil {
		return err
	}
	log := db.logger(stderr)
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft limit makes the collector run before the heap doubles:
		// measured, it keeps peak RSS under 64 MB under load on SQLite
		// (docs/BENCHMARKS.md) at no cost in throughput. GOMEMLIMIT
		// overrides it.
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	st, err := db.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()
	blobs, err := photo.NewDir(filepath.Join(db.dataDir, "photos"))
	if err != nil {
		return err
	}
	key, tokenKey, err := signingKeys(ctx, st, db.dataDir)
	if err != nil {
		return err
	}
	sender, err := mail.NewSender(st, mail.Config{URL: c.smtpURL, From: c.mailFrom, Log: log})
	if err != nil {
		return err
	}
	mailCtx, stopMail := context.WithCancel(context.WithoutCancel(ctx))
	mailDone := make(chan struct{})
	go func() { defer close(mailDone); sender.Run(mailCtx) }()
	defer func() { stopMail(); <-mailDone }()
	var oidc *auth.OIDC
	if c.oidc.Enabled() {
		oidc = auth.NewOIDC(ctx, c.oidc)
	}
	srv := &http.Server{
		Handler: api.New(st, api.Config{Blobs: blobs, Signer: photo.NewSigner([]byte(key)), Log: log,
			PublicURL: *publicURL, Tokens: auth.NewTokens([]byte(tokenKey), c.accessTTL), OIDC: oidc,
			DisableSignup: !c.signup, RefreshTTL: c.sessionTTL, InvitationTTL: c.invitationTTL,
			Mail: sender, TrustedProxies: c.trusted, LinkOrigins: c.origins, Limits: c.limits, CrossSitePhotos: c.crossSite}).Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	log.Info("serving", "addr", ln.Addr().String(), "engine", st.Engine(), "version", version())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
