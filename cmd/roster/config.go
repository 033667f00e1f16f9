package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"roster"
	"roster/api"
	"roster/auth"
	"roster/store"
)

// dbConfig is where the data lives; every subcommand that opens the
// database takes these flags.
type dbConfig struct {
	dataDir     string
	databaseURL string
}

// env returns the environment variable name's value, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("roster "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func (c *dbConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dataDir, "data", env("ROSTER_DATA_DIR", "./roster-data"),
		"directory of the embedded SQLite database and stored photos (env ROSTER_DATA_DIR)")
	fs.StringVar(&c.databaseURL, "database-url", env("ROSTER_DATABASE_URL", ""),
		"postgres:// URL: use PostgreSQL instead of SQLite (env ROSTER_DATABASE_URL)")
}

// open opens and migrates the database.
func (c *dbConfig) open(ctx context.Context, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, c.dataDir, c.databaseURL)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx, log); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, nil))
}

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return "roster " + info.Main.Version
	}
	return "roster (devel)"
}

func migrate(ctx context.Context, args []string, stderr io.Writer) error {
	var db dbConfig
	fs := newFlagSet("migrate", stderr)
	db.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := db.open(ctx, newLogger(stderr))
	if err != nil {
		return err
	}
	return st.Close()
}

// serveConfig is serve's sign-in, mail and identity provider settings.
type serveConfig struct {
	signup        bool
	accessTTL     time.Duration
	sessionTTL    time.Duration
	invitationTTL time.Duration
	smtpURL       string
	mailFrom      string
	oidc          auth.OIDCConfig
	proxies       string
	trusted       []netip.Prefix
	linkOrigins   string
	origins       roster.LinkOrigins
	crossSite     bool
	limits        roster.Limits
}

func (c *serveConfig) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.signup, "signup", true,
		"let anyone create an account with POST /auth/signup (env ROSTER_SIGNUP)")
	fs.DurationVar(&c.accessTTL, "access-token-ttl", auth.DefaultAccessTTL,
		"lifetime of an access token (env ROSTER_ACCESS_TOKEN_TTL)")
	fs.DurationVar(&c.sessionTTL, "session-ttl", api.DefaultRefreshTTL,
		"how long a sign-in session lasts without a refresh (env ROSTER_SESSION_TTL)")
	fs.DurationVar(&c.invitationTTL, "invitation-ttl", roster.DefaultInvitationTTL,
		"how long an invitation can be answered (env ROSTER_INVITATION_TTL)")
	fs.StringVar(&c.smtpURL, "smtp-url", env("ROSTER_SMTP_URL", ""),
		"smtp://user:password@host:587 or smtps://...:465 to send mail; empty: log mail instead (env ROSTER_SMTP_URL)")
	fs.StringVar(&c.mailFrom, "mail-from", env("ROSTER_MAIL_FROM", "Roster <roster@localhost>"),
		"sender address of mail (env ROSTER_MAIL_FROM)")
	fs.StringVar(&c.proxies, "trusted-proxies", env("ROSTER_TRUSTED_PROXIES", ""),
		"comma-separated addresses or CIDRs of load balancers whose X-Forwarded-For names the client, e.g. 10.0.0.0/8 (env ROSTER_TRUSTED_PROXIES)")
	fs.StringVar(&c.linkOrigins, "link-origins", env("ROSTER_LINK_ORIGINS", ""),
		"comma-separated origins of front ends that links in mail may point to (platform_link), e.g. https://app.example.com; --public-url's origin is always allowed (env ROSTER_LINK_ORIGINS)")
	fs.BoolVar(&c.crossSite, "cross-site-photos", false,
		"let pages of other sites embed photos (Cross-Origin-Resource-Policy: cross-origin instead of same-site) (env ROSTER_CROSS_SITE_PHOTOS)")
	c.limits = roster.DefaultLimits
	for _, l := range c.limitFlags() {
		fs.Func(l.name, l.usage+", as COUNT/DURATION, or off; default "+l.rate.String()+" (env "+typedEnv[l.name]+")",
			func(v string) (err error) { *l.rate, err = roster.ParseRate(v); return err })
	}
	fs.StringVar(&c.oidc.Issuer, "oidc-issuer", env("ROSTER_OIDC_ISSUER", ""),
		"issuer of an OpenID Connect provider whose bearer tokens to accept, e.g. https://securetoken.google.com/PROJECT (env ROSTER_OIDC_ISSUER)")
	fs.StringVar(&c.oidc.Audience, "oidc-audience", env("ROSTER_OIDC_AUDIENCE", ""),
		"audience (client id; Firebase: the project id) those tokens must carry (env ROSTER_OIDC_AUDIENCE)")
	fs.StringVar(&c.oidc.JWKSURL, "oidc-jwks-url", env("ROSTER_OIDC_JWKS_URL", ""),
		"URL of the provider's JSON Web Key Set (env ROSTER_OIDC_JWKS_URL)")
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
func (c *serveConfig) validate(fs *flag.FlagSet, publicURL string) error {
	if err := envFlags(fs, typedEnv); err != nil {
		return err
	}
	for name, d := range map[string]time.Duration{"--access-token-ttl": c.accessTTL, "--session-ttl": c.sessionTTL,
		"--invitation-ttl": c.invitationTTL} {
		if d <= 0 {
			return fmt.Errorf("%s must be positive", name)
		}
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
	if c.oidc.Enabled() || c.oidc.Audience != "" || c.oidc.JWKSURL != "" {
		return c.oidc.Validate()
	}
	return nil
}

// typedEnv names the variables of serve's flags that are not strings.
var typedEnv = map[string]string{
	"signup": "ROSTER_SIGNUP", "access-token-ttl": "ROSTER_ACCESS_TOKEN_TTL",
	"session-ttl": "ROSTER_SESSION_TTL", "invitation-ttl": "ROSTER_INVITATION_TTL",
	"cross-site-photos":      "ROSTER_CROSS_SITE_PHOTOS",
	"limit-mail-per-address": "ROSTER_LIMIT_MAIL_PER_ADDRESS", "limit-mail-per-client": "ROSTER_LIMIT_MAIL_PER_CLIENT",
	"limit-invitations-per-org":      "ROSTER_LIMIT_INVITATIONS_PER_ORG",
	"limit-link-invitations-per-org": "ROSTER_LIMIT_LINK_INVITATIONS_PER_ORG",
}

// envFlags sets each flag the command line left alone from its environment
// variable, through the flag's own parser, so that a bad value is an error
// exactly like a bad flag.
func envFlags(fs *flag.FlagSet, vars map[string]string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for name, envName := range vars {
		if v, ok := os.LookupEnv(envName); ok && !given[name] {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %v", envName, v, err)
			}
		}
	}
	return nil
}
