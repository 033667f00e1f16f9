package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"roster/api"
	"roster/apidocs"
	"roster/auth"
	"roster/console"
	"roster/mail"
	"roster/metrics"
	"roster/photo"
	"roster/store"
	"roster/webhook"
)

const (
	defaultMemoryLimit = 40 << 20
	defaultGCPercent   = 200
)

// serveSettings are serve's flags and variables once parsed and checked.
type serveSettings struct {
	db        dbConfig
	addr      string
	publicURL string
	c         serveConfig
	// onCommandLine are the flags that args set, as opposed to their
	// environment variables or defaults.
	onCommandLine map[string]bool
}

// parseServe reads serve's settings from args and the environment into a
// command named name: serve, and config, which shows them. It returns the
// flags too, for config.
func parseServe(name string, args []string, stdout io.Writer) (*serveSettings, *flag.FlagSet, error) {
	var s serveSettings
	fs := newFlagSet(name)
	s.db.register(fs)
	fs.StringVar(&s.addr, "addr", "127.0.0.1:8080", "address to listen on (env ROSTER_ADDR)")
	fs.StringVar(&s.publicURL, "public-url", "",
		"base URL clients reach Roster at, for photo links, e.g. https://roster.example.com; default: relative links (env ROSTER_PUBLIC_URL)")
	s.c.register(fs)
	if err := parseArgs(fs, args, stdout); err != nil {
		return nil, nil, err
	}
	s.onCommandLine = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { s.onCommandLine[f.Name] = true })
	if err := envFlags(fs, flagEnv); err != nil {
		return nil, nil, err
	}
	if err := s.c.validate(s.publicURL); err != nil {
		return nil, nil, err
	}
	return &s, fs, nil
}

// gcDefaults returns the soft memory limit and the collector's target that
// serve sets, each 0 when it leaves Go's (or the operator's) in place.
func gcDefaults() (memoryLimit int64, gcPercent int) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0, 0
	}
	// A soft limit makes the collector run before the heap doubles:
	// measured, it keeps peak RSS under 64 MB under load on SQLite
	// (docs/BENCHMARKS.md) at no cost in throughput.
	if os.Getenv("GOGC") != "" {
		return defaultMemoryLimit, 0
	}
	// Under that limit the collector may let the heap triple before it
	// runs, not double: a create's CPU fell by a tenth to a fifth under
	// wrk (docs/BENCHMARKS.md). Not under an operator's larger limit,
	// which would not hold it back.
	return defaultMemoryLimit, defaultGCPercent
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s, _, err := parseServe("serve", args, stdout)
	if err != nil {
		return err
	}
	db, c := s.db, s.c
	log, access, closeLog := newBufferedLogger(stderr, db.logLevel, logFlushEvery)
	defer closeLog()
	if limit, percent := gcDefaults(); limit > 0 {
		debug.SetMemoryLimit(limit)
		if percent > 0 {
			debug.SetGCPercent(percent)
		}
	}
	// Listen first: a taken port fails at once rather than after the
	// migrations, and while they run the gate tells probes so.
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	scrape, err := listenMetrics(c.metricsAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("--metrics-addr: %w", err)
	}
	defer scrape.close()
	gate := newStartGate(startWait)
	// A request's budget bounds its handler; WriteTimeout, the backstop,
	// leaves the longest budget room to write its answer (streams renew
	// their own write deadline). ReadTimeout bounds a body's upload, an
	// import's CSV included.
	srv := &http.Server{
		Handler:           gate,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      api.LongestBudget(c.bounds.budget) + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	unlock, err := db.lockSQLite()
	if err != nil {
		srv.Close()
		<-errc
		return err
	}
	defer unlock()
	log.Info("listening; migrating the database", "addr", ln.Addr().String(), "version", version())
	app, err := start(ctx, db, c, s.publicURL, log, access)
	if err != nil {
		srv.Close()
		<-errc
		return err
	}
	defer app.st.Close()
	defer app.stopSweep()
	gate.open(scrape.mount(app.handler, app.metrics))
	log.Info("serving", "addr", ln.Addr().String(), "engine", app.st.Engine())
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		log.Info("shutting down: finishing in-flight requests and mail", "grace", c.grace)
	}
	// The mail sender stops claiming at once, beside the requests that
	// finish; both have until the grace runs out.
	sctx, cancel := context.WithTimeout(context.Background(), c.grace)
	defer cancel()
	var stopping sync.WaitGroup
	stopping.Go(func() { app.mail.Shutdown(sctx) })
	stopping.Go(func() { app.hooks.Shutdown(sctx) })
	defer stopping.Wait()
	if serveErr != nil {
		return serveErr
	}
	if err := errors.Join(srv.Shutdown(sctx), scrape.shutdown(sctx)); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// app is what serve serves once the database is migrated.
type app struct {
	handler http.Handler
	metrics http.Handler // GET /metrics
	st      *store.Store // closed once no request runs and the mail sender has stopped
	mail    *mail.Sender
	hooks   *webhook.Dispatcher
	// stopSweep stops the photo sweep, before the store closes.
	stopSweep func()
}

// start opens and migrates the database, removes what a crash left
// behind, starts the mail sender, and returns the API over them.
func start(ctx context.Context, db dbConfig, c serveConfig, publicURL string, log *slog.Logger, access io.Writer) (_ *app, err error) {
	st, err := db.open(ctx, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	// Imports that died with a process hold hidden rows, and their emails,
	// until swept. On SQLite no other serve runs on the data directory, so
	// every import not yet published is dead; on PostgreSQL other
	// processes' imports are taken for dead only once they stall.
	if err := st.SweepImports(ctx, st.Engine() == "sqlite"); err != nil {
		return nil, err
	}
	if dropped, err := st.DropPlannerStatistics(ctx); err != nil {
		return nil, err
	} else if dropped {
		log.Warn("dropped SQLite planner statistics that an ANALYZE or PRAGMA optimize left in the database: " +
			"with them every page of clients is prepared anew; do not analyse Roster's SQLite database")
	}
	blobs, stopSweep, err := openPhotos(ctx, c.blobURL, db.dataDir, st, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			stopSweep()
		}
	}()
	removeLeftovers(blobs, time.Now(), log)
	key, tokenKey, err := signingKeys(ctx, st, db.dataDir)
	if err != nil {
		return nil, err
	}
	sender, err := mail.NewSender(st, mail.Config{URL: c.smtpURL, From: c.mailFrom, Log: log, GiveUpAfter: c.mailGiveUp})
	if err != nil {
		return nil, err
	}
	var oidc *auth.OIDC
	if c.oidc.Enabled() {
		oidc = auth.NewOIDC(ctx, c.oidc)
	}
	ring, _, err := loadKeyring(db.dataDir)
	if err != nil {
		return nil, err
	}
	reg := metrics.New(st)
	tokens := auth.NewTokens([]byte(tokenKey), c.accessTTL)
	hooks := &lateNotifier{}
	a := api.New(st, api.Config{Metrics: reg, Blobs: blobs, Signer: photo.NewSigner([]byte(key)), Log: log, AccessLog: access,
		PublicURL: publicURL, Tokens: tokens, OIDC: oidc,
		DisableSignup: !c.signup, RefreshTTL: c.sessionTTL, InvitationTTL: c.invitationTTL,
		Mail: sender, Webhooks: api.Webhooks{Keyring: ring, Policy: c.webhooks, Dispatcher: hooks}, TrustedProxies: c.trusted, LinkOrigins: c.origins, Limits: c.limits, CrossSitePhotos: c.crossSite,
		Budget: c.bounds.budget, StreamWriteTimeout: c.bounds.streamWriteTimeout,
		StreamsPerCaller: c.bounds.streamsPerCaller, Streams: c.bounds.streams})
	h := site(a, console.New(console.Config{API: a, Store: st, Tokens: tokens, Key: []byte(tokenKey)}))
	// Shutdown, not a signal, stops the sender: it must stop claiming at
	// once but may finish a delivery within the grace.
	dispatcher, err := webhook.New(st, webhook.Config{Keyring: ring, Render: a.RenderWebhook, Policy: c.webhooks, Log: log})
	if err != nil {
		return nil, err
	}
	hooks.Notifier = dispatcher
	go sender.Run(context.WithoutCancel(ctx))
	go dispatcher.Run(context.WithoutCancel(ctx))
	return &app{handler: h, metrics: metrics.Handler(reg, log), st: st, mail: sender, hooks: dispatcher, stopSweep: stopSweep}, nil
}

// lateNotifier wakes a dispatcher made after the API, whose renderer the
// dispatcher needs.
type lateNotifier struct{ api.Notifier }

// site serves the API, the staff console at /console/, which signs in
// and changes clients through the same API server and store, and /docs,
// which renders the API's /openapi.json and, like it, is for anyone. The
// API's frame (request id, access log, budget) covers all three.
func site(a *api.Server, con http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", a.Handler())
	mux.Handle(console.Prefix, con)
	docs := a.Framed(apidocs.Handler())
	mux.Handle("/docs", docs)
	mux.Handle("/docs/", docs)
	return mux
}

// startWait is how long a request waits for serve to start (startGate).
const startWait = 2 * time.Second

// startGate is serve's handler. Until open it answers for a process that
// is up (GET /healthz) but not ready: /readyz and every other request wait
// for it for a while, then get a 503, so that probes and load balancers
// wait for long migrations. Then it hands every request to the API.
type startGate struct {
	api atomic.Pointer[http.Handler]
	// wait is how long a request that comes while the schema is checked
	// waits for the API, rather than be told to come back: at most a few
	// tens of milliseconds when there is nothing to migrate.
	wait   time.Duration
	opened chan struct{} // closed by open
}

func newStartGate(wait time.Duration) *startGate {
	return &startGate{wait: wait, opened: make(chan struct{})}
}

func (g *startGate) open(h http.Handler) {
	g.api.Store(&h)
	close(g.opened)
}

func (g *startGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := g.api.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	alive := r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead)
	if !alive && g.wait > 0 {
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case <-g.opened:
			(*g.api.Load()).ServeHTTP(w, r)
			return
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if alive {
		io.WriteString(w, `{"status":"ok"}`+"\n")
		return
	}
	h.Set("Retry-After", "1")
	w.WriteHeader(http.StatusServiceUnavailable)
	io.WriteString(w, `{"error":"starting: migrating the database"}`+"\n")
}
