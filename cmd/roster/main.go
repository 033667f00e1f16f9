// Command roster runs the Roster server and its operator subcommands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: roster <command> [flags]

commands:
  serve      run the HTTP server (migrates the database first)
  bootstrap  create an organization, its owner and a first API key
  organization  change an organization's plan, session quota or activities
  migrate    bring the database schema up to date
  set-password
             set an account's password, read from standard input
  secret-key print a new random key for ROSTER_SECRET_KEY
  version    print the version

Run "roster <command> -h" for the flags of a command.
`

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
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, args, stderr)
	case "bootstrap":
		return bootstrap(ctx, args, stdout, stderr)
	case "organization":
		return organization(ctx, args, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, stderr)
	case "set-password":
		return setPassword(ctx, args, os.Stdin, stdout, stderr)
	case "secret-key":
		return secretKey(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
