package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
)

// The deployment files live at the repository's root and in deploy/
// (README.md, "Deployment"). docker cannot run here, so these tests check
// what can be checked without it: that compose.yaml is a valid Compose
// file, and that the settings each file gives roster are ones serve knows
// and accepts. CI checks the systemd unit with systemd-analyze.
const repoRoot = "../.."

// knownVariables are the variables serve reads: its flags' and those
// without a flag.
func knownVariables() []string {
	var names []string
	for _, v := range flagEnv {
		names = append(names, v)
	}
	for _, s := range envOnly("") {
		names = append(names, s.name)
	}
	return names
}

// checkSettings fails t unless env names only variables serve reads and
// roster config, which parses and checks them as serve does, accepts them.
func checkSettings(t *testing.T, file string, env map[string]string) {
	t.Helper()
	known := knownVariables()
	for name, value := range env {
		if !slices.Contains(known, name) {
			t.Errorf("%s sets %s, which roster does not read", file, name)
		}
		t.Setenv(name, value)
	}
	if err := run(context.Background(), []string{"config"}, io.Discard, io.Discard); err != nil {
		t.Errorf("%s: roster config refuses its settings: %v", file, err)
	}
}

// TestComposeFile: compose.yaml loads as a Compose project, and its roster
// service starts the image's command with settings serve accepts.
func TestComposeFile(t *testing.T) {
	secrets := []string{"POSTGRES_PASSWORD=pg-password", "MINIO_ROOT_PASSWORD=minio-password",
		"ROSTER_S3_SECRET=s3-password", "ROSTER_SECRET_KEY=" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(repoRoot, "compose.yaml")},
		cli.WithEnv(secrets), cli.WithWorkingDirectory(repoRoot))
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	svc, err := project.GetService("roster")
	if err != nil {
		t.Fatal(err)
	}
	if svc.Build == nil || svc.Build.Context != mustAbs(t, repoRoot) {
		t.Errorf("the roster service is not built from the repository's Dockerfile: %+v", svc.Build)
	}
	env := map[string]string{}
	for name, v := range svc.Environment {
		if v == nil {
			t.Errorf("compose.yaml: %s has no value", name)
			continue
		}
		env[name] = *v
	}
	if want := "postgres://roster:pg-password@postgres:5432/roster?sslmode=disable"; env["ROSTER_DATABASE_URL"] != want {
		t.Errorf("ROSTER_DATABASE_URL = %q, want %q", env["ROSTER_DATABASE_URL"], want)
	}
	for name, v := range dockerfileEnv(t) {
		if _, ok := env[name]; !ok {
			env[name] = v
		}
	}
	checkSettings(t, "compose.yaml", env)
	// Without the secrets, compose refuses to start rather than run with
	// empty passwords.
	opts, err = cli.NewProjectOptions([]string{filepath.Join(repoRoot, "compose.yaml")}, cli.WithEnv(secrets[1:]),
		cli.WithWorkingDirectory(repoRoot))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := opts.LoadProject(context.Background()); err == nil || !strings.Contains(err.Error(), "POSTGRES_PASSWORD") {
		t.Errorf("compose.yaml without POSTGRES_PASSWORD: %v, want an error naming it", err)
	}
}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// dockerInstruction is a Dockerfile instruction and its arguments, with
// continuation lines joined.
var dockerInstruction = regexp.MustCompile(`(?m)^([A-Z]+)\s+((?:.*\\\n)*.*)$`)

// dockerfile returns the final stage's instructions of the Dockerfile.
func dockerfile(t *testing.T) [][2]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var stage [][2]string
	for _, m := range dockerInstruction.FindAllStringSubmatch(string(b), -1) {
		if m[1] == "FROM" {
			stage = nil
		}
		stage = append(stage, [2]string{m[1], strings.Join(strings.Fields(strings.ReplaceAll(m[2], "\\\n", " ")), " ")})
	}
	return stage
}

// dockerfileEnv returns the variables the image sets (ENV NAME=VALUE ...).
func dockerfileEnv(t *testing.T) map[string]string {
	env := map[string]string{}
	for _, in := range dockerfile(t) {
		if in[0] != "ENV" {
			continue
		}
		for _, kv := range strings.Fields(in[1]) {
			name, value, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("Dockerfile: ENV %s: write NAME=VALUE", in[1])
			}
			env[name] = value
		}
	}
	return env
}

// TestDockerfile: the image runs serve as a user without privileges, with
// its data in a volume, probed by roster healthcheck, and sets only
// variables serve reads.
func TestDockerfile(t *testing.T) {
	got := map[string]string{}
	for _, in := range dockerfile(t) {
		got[in[0]] = in[1]
	}
	for instruction, want := range map[string]string{
		"USER":        "65532:65532",
		"VOLUME":      `["/var/lib/roster"]`,
		"EXPOSE":      "8080",
		"HEALTHCHECK": `--interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["/usr/local/bin/roster", "healthcheck"]`,
		"ENTRYPOINT":  `["/usr/local/bin/roster"]`,
		"CMD":         `["serve"]`,
	} {
		if got[instruction] != want {
			t.Errorf("Dockerfile's final stage: %s %s, want %s", instruction, got[instruction], want)
		}
	}
	env := dockerfileEnv(t)
	if env["ROSTER_DATA_DIR"] != "/var/lib/roster" {
		t.Errorf("the data directory %q is not the volume", env["ROSTER_DATA_DIR"])
	}
	checkSettings(t, "Dockerfile", env)
}

// TestSystemdUnit: the unit runs serve with its data in its state
// directory, from an environment file whose every setting serve accepts.
func TestSystemdUnit(t *testing.T) {
	unit := readLines(t, filepath.Join(repoRoot, "deploy", "roster.service"))
	for _, want := range []string{"ExecStart=/usr/local/bin/roster serve", "StateDirectory=roster",
		"Environment=ROSTER_DATA_DIR=%S/roster", "EnvironmentFile=/etc/roster/roster.env", "DynamicUser=yes"} {
		if !slices.Contains(unit, want) {
			t.Errorf("deploy/roster.service has no line %q", want)
		}
	}
	env := map[string]string{"ROSTER_DATA_DIR": t.TempDir()}
	known := knownVariables()
	for _, line := range readLines(t, filepath.Join(repoRoot, "deploy", "roster.env")) {
		// Commented settings are examples: they must name real variables too.
		name, value, ok := strings.Cut(strings.TrimPrefix(line, "#"), "=")
		if !ok || strings.ContainsAny(name, " ") {
			continue
		}
		if !slices.Contains(known, name) {
			t.Errorf("deploy/roster.env names %s, which roster does not read", name)
		}
		if !strings.HasPrefix(line, "#") {
			env[name] = value
		}
	}
	checkSettings(t, "deploy/roster.env", env)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		lines = append(lines, strings.TrimSpace(s.Text()))
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
