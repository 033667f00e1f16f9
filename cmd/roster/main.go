// Command roster runs the Roster server and its operator subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// command is one subcommand: its name, its line in the usage, and what runs
// it with the arguments after its name.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order the usage shows them. It is a
// function, not a variable: the commands' own code reads the usage.
func commands() []command {
	return []command{
		{"serve", "run the HTTP server (migrates the database first)", serve},
		{"bootstrap", "create an organization, its owner and a first API key", bootstrap},
		{"organization", "change an organization's plan, session quota or activities", organization},
		{"config", "print the settings serve would run with, secrets masked", showConfig},
		{"healthcheck", "exit 0 if a serve answers GET /healthz, 1 if not (a container's HEALTHCHECK)", healthcheck},
		{"migrate", "bring the database schema up to date", migrate},
		{"set-password", "set an account's password, read from standard input",
			func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
				return setPassword(ctx, args, os.Stdin, stdout, stderr)
			}},
		{"backup", "copy the SQLite database and its photos to one archive while serve runs", backup},
		{"restore", "put a backup in place in a stopped server's data directory", restore},
		{"secret-key", "print a new random key for ROSTER_SECRET_KEY", secretKey},
		{"version", "print the version and the commit it was built from", printVersion},
	}
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: roster <command> [flags]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-13s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun \"roster <command> -h\" for the flags of a command.\n")
	return b.String()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "roster:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return fmt.Errorf("no command given")
	}
	name, args := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage())
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			// Help asked for is an answer, not a failure.
			if err := c.run(ctx, args, stdout, stderr); !errors.Is(err, flag.ErrHelp) {
				return err
			}
			return nil
		}
	}
	fmt.Fprint(stderr, usage())
	return fmt.Errorf("unknown command %q", name)
}
