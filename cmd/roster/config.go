package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/api"
	"roster/auth"
	"roster/mail"
	"roster/photo"
	"roster/store"
	"roster/webhook"
)

// dbConfig is where the data lives and how much to log; every subcommand
// that opens the database takes these flags, and logs the migrations it
// runs.
type dbConfig struct {
	dataDir     string
	databaseURL string
	logLevel    slog.Level
	pgTimeouts  store.PostgresTimeouts
}

// newFlagSet returns the flags of the command name. It prints nothing
// itself: parseFlags prints the help asked for, and run the errors.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("roster "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses a command's arguments, none of which may be left over,
// then sets the flags the arguments left alone from their environment
// variables. With -h it prints the flags to stdout and returns
// flag.ErrHelp, which run takes for success.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	if err := parseArgs(fs, args, stdout); err != nil {
		return err
	}
	return envFlags(fs, flagEnv)
}

// parseArgs is parseFlags without the environment.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stdout, "usage: %s [flags]\n\nflags:\n", fs.Name())
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return err
	case err != nil:
		return fmt.Errorf("%w (%q lists the flags)", err, fs.Name()+" -h")
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q (%q lists the flags)", fs.Arg(0), fs.Name()+" -h")
	}
	return nil
}

func (c *dbConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dataDir, "data", "./roster-data",
		"directory of the embedded SQLite database and stored photos (env ROSTER_DATA_DIR)")
	fs.StringVar(&c.databaseURL, "database-url", "",
		"postgres:// URL: use PostgreSQL instead of SQLite (env ROSTER_DATABASE_URL)")
	fs.Var(levelValue{&c.logLevel}, "log-level", "least severe `level` to log: debug, info, warn or error (env ROSTER_LOG_LEVEL)")
	durationFlag(fs, &c.pgTimeouts.Connect, "db-connect-timeout", store.DefaultPostgresTimeouts.Connect,
		"PostgreSQL: how long opening a connection may take, unless the URL sets connect_timeout")
	durationFlag(fs, &c.pgTimeouts.Statement, "db-statement-timeout", store.DefaultPostgresTimeouts.Statement,
		"PostgreSQL: how long a statement may run (statement_timeout; migrations have none), unless the URL sets statement_timeout")
}

// logger returns the logger of the command, writing to w.
func (c *dbConfig) logger(w io.Writer) *slog.Logger {
	return newLogger(w, c.logLevel)
}

// open opens and migrates the database.
func (c *dbConfig) open(ctx context.Context, log *slog.Logger) (*store.Store, error) {
	st, err := store.OpenWith(ctx, c.dataDir, c.databaseURL, c.pgTimeouts)
	if err != nil {
		return nil, err
	}
	st.SetLog(log)
	if err := st.Migrate(ctx, log); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// oidcSecretEnv names the variable with the identity provider's client
// secret: a secret, so no flag, which every user of the machine could read.
const oidcSecretEnv = "ROSTER_OIDC_CLIENT_SECRET"

// serveConfig is serve's sign-in, mail and identity provider settings.
type serveConfig struct {
	signup        bool
	accessTTL     time.Duration
	sessionTTL    time.Duration
	invitationTTL time.Duration
	smtpURL       string
	mailFrom      string
	mailGiveUp    time.Duration
	oidc          auth.OIDCConfig
	proxies       string
	trusted       []netip.Prefix
	linkOrigins   string
	origins       roster.LinkOrigins
	crossSite     bool
	limits        roster.Limits
	grace         time.Duration
	blobURL       string
	bounds        requestBounds
	metricsAddr   string
	webhooks      webhook.Policy
}

// requestBounds are how long requests may take and how many streamed
// answers may be open.
type requestBounds struct {
	budget, streamWriteTimeout time.Duration
	streamsPerCaller, streams  int
}

func (b *requestBounds) register(fs *flag.FlagSet) {
	durationFlag(fs, &b.budget, "request-budget", api.DefaultBudget,
		"how long a request may take before it is answered 503 (routes that take a photo: 1m; streams: between writes)")
	durationFlag(fs, &b.streamWriteTimeout, "stream-write-timeout", api.DefaultStreamWriteTimeout,
		"how long one write of a streamed answer (unpaged list, export, import progress) may wait for a reader that reads nothing")
	countFlag(fs, &b.streamsPerCaller, "max-streams-per-caller", api.DefaultStreamsPerCaller,
		"streamed answers one API key or person may have open at once; beyond, 429")
	countFlag(fs, &b.streams, "max-streams", api.DefaultStreams, "streamed answers the server may have open at once; beyond, 503")
}

func (c *serveConfig) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.signup, "signup", true,
		"let anyone create an account with POST /auth/signup (env ROSTER_SIGNUP)")
	durationFlag(fs, &c.accessTTL, "access-token-ttl", auth.DefaultAccessTTL, "lifetime of an access token")
	durationFlag(fs, &c.sessionTTL, "session-ttl", api.DefaultRefreshTTL, "how long a sign-in session lasts without a refresh")
	durationFlag(fs, &c.invitationTTL, "invitation-ttl", roster.DefaultInvitationTTL, "how long an invitation can be answered")
	durationFlag(fs, &c.grace, "shutdown-grace", 30*time.Second,
		"how long requests and a mail delivery under way may run after SIGTERM or SIGINT")
	fs.StringVar(&c.smtpURL, "smtp-url", "",
		"smtp://user:password@host:587 or smtps://...:465 to send mail; empty: log mail instead (env ROSTER_SMTP_URL)")
	fs.StringVar(&c.mailFrom, "mail-from", "Roster <roster@localhost>",
		"sender address of mail (env ROSTER_MAIL_FROM)")
	durationFlag(fs, &c.mailGiveUp, "mail-give-up-after", mail.DefaultGiveUpAfter,
		"how long after it was queued mail that keeps failing is given up on (dead); mail the SMTP server refuses with a 5xx is dead at once")
	fs.StringVar(&c.proxies, "trusted-proxies", "",
		"comma-separated addresses or CIDRs of load balancers whose X-Forwarded-For names the client, e.g. 10.0.0.0/8 (env ROSTER_TRUSTED_PROXIES)")
	fs.StringVar(&c.linkOrigins, "link-origins", "",
		"comma-separated origins of front ends that links in mail may point to (platform_link), e.g. https://app.example.com; --public-url's origin is always allowed (env ROSTER_LINK_ORIGINS)")
	fs.BoolVar(&c.crossSite, "cross-site-photos", false,
		"let pages of other sites embed photos (Cross-Origin-Resource-Policy: cross-origin instead of same-site) (env ROSTER_CROSS_SITE_PHOTOS)")
	fs.StringVar(&c.blobURL, "blob-url", "",
		"where photos are stored: s3://BUCKET/PREFIX?endpoint=http://host:9000&region=us-east-1 (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), shared by every process; empty or file: the data directory (env ROSTER_BLOB_URL)")
	c.limits = roster.DefaultLimits
	for _, l := range c.limitFlags() {
		fs.Var(rateValue{l.rate}, l.name, l.usage+", as `COUNT/DURATION`, or off (env "+flagEnv[l.name]+")")
	}
	c.bounds.register(fs)
	fs.BoolVar(&c.webhooks.AllowHTTP, "webhook-allow-http", false,
		"let webhook endpoints be http:// URLs, not only https:// (env ROSTER_WEBHOOK_ALLOW_HTTP)")
	fs.BoolVar(&c.webhooks.AllowPrivate, "webhook-allow-private", false,
		"let webhooks go to loopback, private, link-local and cloud metadata addresses (env ROSTER_WEBHOOK_ALLOW_PRIVATE)")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "",
		"address to serve GET /metrics on, e.g. 127.0.0.1:9090, instead of --addr; empty: on --addr (env ROSTER_METRICS_ADDR)")
	fs.StringVar(&c.oidc.Issuer, "oidc-issuer", "",
		"issuer of an OpenID Connect provider whose bearer tokens to accept, e.g. https://securetoken.google.com/PROJECT (env ROSTER_OIDC_ISSUER)")
	fs.StringVar(&c.oidc.Audience, "oidc-audience", "",
		"audience (client id; Firebase: the project id) those tokens must carry (env ROSTER_OIDC_AUDIENCE)")
	fs.StringVar(&c.oidc.JWKSURL, "oidc-jwks-url", "",
		"URL of the provider's JSON Web Key Set (env ROSTER_OIDC_JWKS_URL)")
	fs.StringVar(&c.oidc.Name, "oidc-name", "",
		"the provider's name, for the console's \"Sign in with\" button; with --oidc-auth-url, --oidc-token-url, "+
			"--public-url and "+oidcSecretEnv+" (env ROSTER_OIDC_NAME)")
	fs.StringVar(&c.oidc.AuthURL, "oidc-auth-url", "",
		"the provider's authorization endpoint, where the console sends browsers to sign in (env ROSTER_OIDC_AUTH_URL)")
	fs.StringVar(&c.oidc.TokenURL, "oidc-token-url", "",
		"the provider's token endpoint, where the console redeems their sign-in codes (env ROSTER_OIDC_TOKEN_URL)")
}

// limitFlag is the flag of one abuse limit.
type limitFlag struct {
	name, usage string
	rate        *roster.Rate
}

func (c *serveConfig) limitFlags() []limitFlag {
	return []limitFlag{
		{"limit-mail-per-address", "sign-up, verification and password reset mails to one address", &c.limits.MailPerAddress},
		{"limit-mail-per-client", "those mails asked for from one client address (an IPv6 /64 counts as one)", &c.limits.MailPerClient},
		{"limit-invitations-per-org", "staff invitations an organization sends", &c.limits.InvitationsPerOrg},
		{"limit-link-invitations-per-org", "link invitations an organization sends", &c.limits.LinkInvitationsPerOrg},
	}
}

// validate checks the flags once parsed; publicURL is --public-url, whose
// origin links in mail may always point to.
func (c *serveConfig) validate(publicURL string) error {
	if err := checkPublicURL(publicURL); err != nil {
		return err
	}
	if _, err := photo.ParseURL(c.blobURL); err != nil {
		return fmt.Errorf("--blob-url: %w", err)
	}
	for _, p := range strings.Split(c.proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil && !strings.Contains(p, "/") {
			var a netip.Addr
			a, err = netip.ParseAddr(p)
			prefix = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil {
			return fmt.Errorf("--trusted-proxies: %q is not an address or CIDR", p)
		}
		c.trusted = append(c.trusted, prefix.Masked())
	}
	origins, err := roster.NewLinkOrigins(append(strings.Split(c.linkOrigins, ","), publicURL)...)
	if err != nil {
		return fmt.Errorf("--link-origins or --public-url: %v", err)
	}
	c.origins = origins
	c.oidc.ClientSecret = os.Getenv(oidcSecretEnv)
	if c.oidc.BrowserSignIn() && publicURL == "" {
		return errors.New("--oidc-name: signing in through the provider needs --public-url, where it sends browsers back")
	}
	if c.oidc != (auth.OIDCConfig{}) {
		return c.oidc.Validate()
	}
	return nil
}

// checkPublicURL refuses a --public-url that photo links could not start
// with: one without a scheme would make them relative to the page showing
// them.
func checkPublicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("--public-url %q: %v", s, err)
	case u.Host == "" || u.Opaque != "":
		return fmt.Errorf("--public-url %q has no scheme: use https://%s (or http://)", s, s)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("--public-url %q: use an https or http URL", s)
	}
	return nil
}

// durationFlag defines the flag name of a positive duration, def unless set.
func durationFlag(fs *flag.FlagSet, d *time.Duration, name string, def time.Duration, usage string) {
	*d = def
	fs.Var(durationValue{d}, name, usage+", a `duration` with its unit, e.g. 15m (env "+flagEnv[name]+")")
}

// durationValue is the value of a durationFlag.
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}

func (v durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("use a positive duration with its unit, such as 15m, 1h30m or 720h")
	}
	*v.d = d
	return nil
}

// countFlag defines the flag name of a positive count, def unless set.
func countFlag(fs *flag.FlagSet, n *int, name string, def int, usage string) {
	*n = def
	fs.Var(countValue{n}, name, usage+", a `count` (env "+flagEnv[name]+")")
}

// countValue is the value of a countFlag.
type countValue struct{ n *int }

func (v countValue) String() string {
	if v.n == nil {
		return ""
	}
	return strconv.Itoa(*v.n)
}

func (v countValue) Set(s string) error {
	c, err := strconv.Atoi(s)
	if err != nil || c <= 0 {
		return fmt.Errorf("use a positive whole number")
	}
	*v.n = c
	return nil
}

// rateValue is the value of an abuse limit's flag.
type rateValue struct{ r *roster.Rate }

func (v rateValue) String() string {
	if v.r == nil {
		return ""
	}
	return v.r.String()
}

func (v rateValue) Set(s string) (err error) {
	*v.r, err = roster.ParseRate(s)
	return err
}

// flagEnv names the environment variable of every flag that has one: all
// of serve's, so that a container or a unit sets everything through its
// environment. A flag on the command line wins over its variable.
var flagEnv = map[string]string{
	"data": "ROSTER_DATA_DIR", "database-url": "ROSTER_DATABASE_URL", "log-level": "ROSTER_LOG_LEVEL",
	"db-connect-timeout": "ROSTER_DB_CONNECT_TIMEOUT", "db-statement-timeout": "ROSTER_DB_STATEMENT_TIMEOUT",
	"addr": "ROSTER_ADDR", "public-url": "ROSTER_PUBLIC_URL",
	"signup": "ROSTER_SIGNUP", "access-token-ttl": "ROSTER_ACCESS_TOKEN_TTL",
	"session-ttl": "ROSTER_SESSION_TTL", "invitation-ttl": "ROSTER_INVITATION_TTL",
	"shutdown-grace": "ROSTER_SHUTDOWN_GRACE", "mail-give-up-after": "ROSTER_MAIL_GIVE_UP_AFTER",
	"smtp-url": "ROSTER_SMTP_URL", "mail-from": "ROSTER_MAIL_FROM",
	"trusted-proxies": "ROSTER_TRUSTED_PROXIES", "link-origins": "ROSTER_LINK_ORIGINS",
	"cross-site-photos": "ROSTER_CROSS_SITE_PHOTOS", "blob-url": "ROSTER_BLOB_URL",
	"metrics-addr":       "ROSTER_METRICS_ADDR",
	"webhook-allow-http": "ROSTER_WEBHOOK_ALLOW_HTTP", "webhook-allow-private": "ROSTER_WEBHOOK_ALLOW_PRIVATE",
	"limit-mail-per-address": "ROSTER_LIMIT_MAIL_PER_ADDRESS", "limit-mail-per-client": "ROSTER_LIMIT_MAIL_PER_CLIENT",
	"limit-invitations-per-org":      "ROSTER_LIMIT_INVITATIONS_PER_ORG",
	"limit-link-invitations-per-org": "ROSTER_LIMIT_LINK_INVITATIONS_PER_ORG",
	"request-budget":                 "ROSTER_REQUEST_BUDGET", "stream-write-timeout": "ROSTER_STREAM_WRITE_TIMEOUT",
	"max-streams-per-caller": "ROSTER_MAX_STREAMS_PER_CALLER", "max-streams": "ROSTER_MAX_STREAMS",
	"oidc-issuer": "ROSTER_OIDC_ISSUER", "oidc-audience": "ROSTER_OIDC_AUDIENCE", "oidc-jwks-url": "ROSTER_OIDC_JWKS_URL",
	"oidc-name": "ROSTER_OIDC_NAME", "oidc-auth-url": "ROSTER_OIDC_AUTH_URL", "oidc-token-url": "ROSTER_OIDC_TOKEN_URL",
}

// envFlags sets each flag the command line left alone from its environment
// variable, through the flag's own parser, so that a bad value is an error
// exactly like a bad flag.
func envFlags(fs *flag.FlagSet, vars map[string]string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, envName := range vars {
		if fs.Lookup(name) == nil {
			continue
		}
		if v, ok := os.LookupEnv(envName); ok && !given[name] {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %v", envName, v, err)
			}
		}
	}
	return nil
}
