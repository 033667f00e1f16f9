package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"roster/keyring"
)

// configRow is a line of roster config's table.
type configRow struct{ flag, source, value string }

// runConfig runs roster config with args and returns its rows by
// environment variable, and its whole output.
func runConfig(t *testing.T, args ...string) (map[string]configRow, string) {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), append([]string{"config"}, args...), &out, io.Discard); err != nil {
		t.Fatalf("roster config %v: %v", args, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if got := strings.Fields(lines[0]); strings.Join(got, " ") != "FLAG ENVIRONMENT SOURCE VALUE" {
		t.Fatalf("header %q", lines[0])
	}
	rows := map[string]configRow{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 3 {
			t.Fatalf("line %q: want a flag, a variable and a source", l)
		}
		// The value is the rest of the line: it may hold spaces.
		value := strings.TrimSpace(l[strings.Index(l, " "+f[2]+" ")+len(f[2])+2:])
		if len(f) == 3 {
			value = ""
		}
		rows[f[1]] = configRow{f[0], f[2], value}
	}
	return rows, out.String()
}

// checkRows checks the rows of roster config's table that want names.
func checkRows(t *testing.T, rows, want map[string]configRow) {
	t.Helper()
	for env, w := range want {
		if got := rows[env]; got != w {
			t.Errorf("%s: got %+v, want %+v", env, got, w)
		}
	}
}

// TestConfigCommand: roster config shows each setting's flag, variable,
// source and value as serve would take them, a flag over its variable,
// and never a secret.
func TestConfigCommand(t *testing.T) {
	key := keyring.NewKey()
	t.Setenv("ROSTER_DATABASE_URL", "postgres://roster:pg-s3cret@db:5432/roster?sslmode=disable&password=q-s3cret")
	t.Setenv("ROSTER_SECRET_KEY", key)
	t.Setenv("AWS_ACCESS_KEY_ID", "akid-s3cret")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "sak-s3cret")
	t.Setenv("ROSTER_MAX_STREAMS", "3")
	t.Setenv("ROSTER_ADDR", "127.0.0.1:7000")
	t.Setenv("ROSTER_MAIL_FROM", "Roster Mail <mail@roster.test>")
	t.Setenv("GOMEMLIMIT", "200MiB")
	t.Setenv("GOGC", "150")
	rows, out := runConfig(t, "--addr", "0.0.0.0:9000", "--smtp-url", "smtps://me:smtp-s3cret@mail.roster.test:465",
		"--limit-mail-per-client", "off")
	for _, secret := range []string{"s3cret", key} {
		if strings.Contains(out, secret) {
			t.Errorf("roster config printed the secret %q:\n%s", secret, out)
		}
	}
	checkRows(t, rows, map[string]configRow{
		"ROSTER_DATABASE_URL":           {"--database-url", "env", "postgres://roster:REDACTED@db:5432/roster?password=REDACTED&sslmode=disable"},
		"ROSTER_SMTP_URL":               {"--smtp-url", "flag", "smtps://me:REDACTED@mail.roster.test:465"},
		"ROSTER_ADDR":                   {"--addr", "flag", "0.0.0.0:9000"},
		"ROSTER_MAX_STREAMS":            {"--max-streams", "env", "3"},
		"ROSTER_MAIL_FROM":              {"--mail-from", "env", "Roster Mail <mail@roster.test>"},
		"ROSTER_LIMIT_MAIL_PER_CLIENT":  {"--limit-mail-per-client", "flag", "off"},
		"ROSTER_LIMIT_MAIL_PER_ADDRESS": {"--limit-mail-per-address", "default", "5/1h"},
		"ROSTER_SESSION_TTL":            {"--session-ttl", "default", "720h0m0s"},
		"ROSTER_PUBLIC_URL":             {"--public-url", "default", ""},
		"ROSTER_SECRET_KEY":             {"-", "env", "REDACTED"},
		"AWS_ACCESS_KEY_ID":             {"-", "env", "REDACTED"},
		"AWS_SECRET_ACCESS_KEY":         {"-", "env", "REDACTED"},
		"GOMEMLIMIT":                    {"-", "env", "200MiB"},
		"GOGC":                          {"-", "env", "150"},
	})
	_, fs, err := parseServe("serve", nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	fs.VisitAll(func(f *flag.Flag) {
		if rows[flagEnv[f.Name]].flag != "--"+f.Name {
			t.Errorf("serve's flag --%s is not shown", f.Name)
		}
	})
}

// TestConfigUnsetSecrets: secrets that are not set say so, and where the
// secret key comes from instead.
func TestConfigUnsetSecrets(t *testing.T) {
	for _, v := range []string{"ROSTER_SECRET_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GOMEMLIMIT", "GOGC", "ROSTER_DATABASE_URL"} {
		t.Setenv(v, "") // restored when the test ends
		os.Unsetenv(v)
	}
	rows, _ := runConfig(t, "--data", "/srv/roster")
	checkRows(t, rows, map[string]configRow{
		"ROSTER_SECRET_KEY":     {"-", "default", "(unset: the key in /srv/roster/secret.key)"},
		"AWS_SECRET_ACCESS_KEY": {"-", "default", "(unset)"},
		"GOMEMLIMIT":            {"-", "default", "(unset: serve sets 40 MiB)"},
		"GOGC":                  {"-", "default", "(unset: serve sets 200)"},
		"ROSTER_DATA_DIR":       {"--data", "flag", "/srv/roster"},
	})
}

// TestConfigGCUnderOperatorsLimit: with a memory limit of the operator's
// and no GOGC, serve leaves Go's collector target alone, and says so.
func TestConfigGCUnderOperatorsLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	rows, _ := runConfig(t)
	checkRows(t, rows, map[string]configRow{
		"GOMEMLIMIT": {"-", "env", "1GiB"},
		"GOGC":       {"-", "default", "(unset: Go's 100, as GOMEMLIMIT is set)"},
	})
}

// TestConfigRefusesWhatServeRefuses: a configuration serve would refuse
// is an error, not a table.
func TestConfigRefusesWhatServeRefuses(t *testing.T) {
	t.Setenv("ROSTER_SESSION_TTL", "soon")
	var out bytes.Buffer
	err := run(context.Background(), []string{"config"}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `ROSTER_SESSION_TTL="soon"`) || out.Len() != 0 {
		t.Errorf("roster config with a bad variable: %v, printed %q", err, out.String())
	}
	t.Setenv("ROSTER_SESSION_TTL", "1h")
	err = run(context.Background(), []string{"config", "--public-url", "roster.example.com"}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--public-url") || out.Len() != 0 {
		t.Errorf("roster config with a bad flag: %v, printed %q", err, out.String())
	}
}

// TestServeFlagsHaveVariables: every flag of serve has an environment
// variable, which its help names, so that a container or a systemd unit
// can set everything.
func TestServeFlagsHaveVariables(t *testing.T) {
	_, fs, err := parseServe("serve", nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	fs.VisitAll(func(f *flag.Flag) {
		env := flagEnv[f.Name]
		if env == "" {
			t.Errorf("--%s has no environment variable in flagEnv", f.Name)
		} else if !strings.Contains(f.Usage, "(env "+env+")") {
			t.Errorf("--%s's help does not name %s: %q", f.Name, env, f.Usage)
		}
	})
}

func TestMaskSecrets(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://roster@db/roster?sslmode=disable":     "postgres://roster@db/roster?sslmode=disable",
		"postgres://roster:pw@db/roster":                  "postgres://roster:REDACTED@db/roster",
		"postgres://db/roster?PassWord=pw&sslmode=prefer": "postgres://db/roster?PassWord=REDACTED&sslmode=prefer",
		"smtp://mail:587?token=t":                         "smtp://mail:587?token=REDACTED",
		"postgres://roster:p%zz@db/roster":                "REDACTED",
		"host=db user=roster password=pw":                 "REDACTED",
		"Roster <roster@localhost>":                       "Roster <roster@localhost>",
		"127.0.0.1:8080":                                  "127.0.0.1:8080",
		"":                                                "",
	} {
		if got := maskSecrets(in); got != want {
			t.Errorf("maskSecrets(%q) = %q, want %q", in, got, want)
		}
	}
}

// readmeConfigCommand is the README's example of roster config, whose
// output the README prints in the text block after it.
const readmeConfigCommand = `ROSTER_SMTP_URL="smtp://roster:hunter2@127.0.0.1:2525" roster config --signup=false | grep -E '^(FLAG|--signup|--smtp-url|-) '`

// TestREADMEConfigBlock checks that the README prints what its example of
// roster config prints, data directory aside: a setting added to the table
// and not to the README fails it.
func TestREADMEConfigBlock(t *testing.T) {
	md, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, found := strings.Cut(string(md), readmeConfigCommand+"\n```\n\n```text\n")
	printed, _, closed := strings.Cut(after, "```\n")
	if !found || !closed {
		t.Fatalf("README.md no longer shows %s followed by a text block of its output", readmeConfigCommand)
	}
	for _, v := range []string{secretKeyEnv, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ROSTER_OIDC_CLIENT_SECRET", "GOMEMLIMIT", "GOGC"} {
		t.Setenv(v, "")
		os.Unsetenv(v) // unset, not empty, as on a fresh machine
	}
	data := t.TempDir()
	t.Setenv("ROSTER_DATA_DIR", data+"/data")
	t.Setenv("ROSTER_SMTP_URL", "smtp://roster:hunter2@127.0.0.1:2525")
	_, out := runConfig(t, "--signup=false")
	var want []string
	for _, l := range strings.SplitAfter(out, "\n") {
		if strings.HasPrefix(l, "FLAG ") || strings.HasPrefix(l, "--signup ") || strings.HasPrefix(l, "--smtp-url ") ||
			strings.HasPrefix(l, "- ") {
			want = append(want, strings.ReplaceAll(l, data, "…"))
		}
	}
	if got := strings.Join(want, ""); got != printed {
		t.Errorf("README.md prints:\n%s\nroster config prints:\n%s", printed, got)
	}
}

// TestGCDefaults checks what serve sets of the collector's settings, by
// what the operator set.
func TestGCDefaults(t *testing.T) {
	for _, c := range []struct {
		memLimit, gogc string
		limit          int64
		percent        int
	}{
		{"", "", defaultMemoryLimit, defaultGCPercent},
		{"", "150", defaultMemoryLimit, 0},
		{"200MiB", "", 0, 0},
		{"200MiB", "150", 0, 0},
	} {
		for name, v := range map[string]string{"GOMEMLIMIT": c.memLimit, "GOGC": c.gogc} {
			t.Setenv(name, v)
			if v == "" {
				os.Unsetenv(name)
			}
		}
		if limit, percent := gcDefaults(); limit != c.limit || percent != c.percent {
			t.Errorf("GOMEMLIMIT=%q GOGC=%q: serve sets %d bytes and %d%%, want %d and %d%%", c.memLimit, c.gogc,
				limit, percent, c.limit, c.percent)
		}
	}
}
