package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// showConfig prints the configuration serve would run with, given the same
// flags and environment: each setting's flag, variable, where its value
// came from and the value, secrets masked. A configuration serve would
// refuse is refused here with the same error.
func showConfig(_ context.Context, args []string, stdout, _ io.Writer) error {
	s, fs, err := parseServe("config", args, stdout)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAG\tENVIRONMENT\tSOURCE\tVALUE")
	fs.VisitAll(func(f *flag.Flag) {
		name := flagEnv[f.Name]
		fmt.Fprintf(tw, "--%s\t%s\t%s\t%s\n", f.Name, name, source(name, s.onCommandLine[f.Name]), maskSecrets(f.Value.String()))
	})
	for _, v := range envOnly(s.db.dataDir) {
		fmt.Fprintf(tw, "-\t%s\t%s\t%s\n", v.name, source(v.name, false), v.value)
	}
	return tw.Flush()
}

// source says where a setting's value came from.
func source(envName string, onCommandLine bool) string {
	if onCommandLine {
		return "flag"
	}
	if _, ok := os.LookupEnv(envName); ok && envName != "" {
		return "env"
	}
	return "default"
}

// envSetting is a setting that only the environment gives.
type envSetting struct{ name, value string }

// envOnly returns the settings serve reads from the environment alone:
// secrets, which a command line would show to every user of the machine,
// and Go's own memory limit and collector target. Secrets show only
// whether they are set.
func envOnly(dataDir string) []envSetting {
	secret := func(name, unset string) envSetting {
		if os.Getenv(name) != "" {
			return envSetting{name, masked}
		}
		return envSetting{name, unset}
	}
	return []envSetting{
		secret(secretKeyEnv, "(unset: the key in "+filepath.Join(dataDir, secretKeyFile)+")"),
		secret("AWS_ACCESS_KEY_ID", "(unset)"),
		secret("AWS_SECRET_ACCESS_KEY", "(unset)"),
		secret(oidcSecretEnv, "(unset)"),
		{"GOMEMLIMIT", cmp.Or(os.Getenv("GOMEMLIMIT"), fmt.Sprintf("(unset: serve sets %d MiB)", defaultMemoryLimit>>20))},
		{"GOGC", cmp.Or(os.Getenv("GOGC"), gcPercentUnset())},
	}
}

// gcPercentUnset says what collector target serve runs with when GOGC is
// not set (see gcDefaults).
func gcPercentUnset() string {
	if _, percent := gcDefaults(); percent > 0 {
		return fmt.Sprintf("(unset: serve sets %d)", percent)
	}
	return "(unset: Go's 100, as GOMEMLIMIT is set)"
}

// masked stands for a secret that is set.
const masked = "REDACTED"

// maskSecrets returns s with the secrets a URL can hold masked: the
// password of its user and the values of query parameters that name a
// password, secret or token (pgx takes ?password=). Every value goes
// through it, not only the database's and SMTP's URLs, so that a flag
// added later cannot leak one. A value that looks like a URL or a
// connection string but does not parse is masked whole: its password
// cannot be found in it.
func maskSecrets(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		if strings.Contains(s, "://") || strings.Contains(strings.ToLower(s), "password=") {
			return masked
		}
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), masked)
	}
	q := u.Query()
	for k := range q {
		if lk := strings.ToLower(k); strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") {
			q[k] = []string{masked}
		}
	}
	if len(q) > 0 {
		u.RawQuery = q.Encode()
	}
	return u.String()
}
