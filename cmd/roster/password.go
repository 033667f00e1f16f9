package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"roster/auth"
)

// setPassword sets the password of an account, read from standard input so
// that it never appears in a process list or shell history. It is how the
// owner that bootstrap creates gets a password to sign in with.
func setPassword(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var db dbConfig
	fs := newFlagSet("set-password")
	db.register(fs)
	email := fs.String("email", "", "email of the account (required)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("--email is required")
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return err
	}
	password := strings.TrimRight(line, "\r\n")
	if err := auth.CheckNewPassword(password, *email, ""); err != nil {
		return err
	}
	hash, err := auth.HashPassword(password, auth.DefaultPasswordParams)
	if err != nil {
		return err
	}
	st, err := db.open(ctx, db.logger(stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.SetPassword(ctx, *email, hash); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "password set for %s\n", *email)
	return nil
}
