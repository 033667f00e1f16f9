package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"roster/store"
)

// migrate brings the schema up to date or, with --down-to, rolls it back.
// On SQLite it holds the data directory's lock, as serve does: the schema
// must not change under a running server.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var db dbConfig
	fs := newFlagSet("migrate")
	db.register(fs)
	downTo := int64(-1)
	fs.Func("down-to", "undo the migrations above `version`, for a rollback to an older roster: stop every serve first, and back up the database",
		func(v string) (err error) {
			if downTo, err = strconv.ParseInt(v, 10, 64); err != nil || downTo < 0 {
				return errors.New("want a schema version: 0 or more")
			}
			return nil
		})
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	unlock, err := db.lockSQLite()
	if err != nil {
		return err
	}
	defer unlock()
	log := db.logger(stderr)
	if downTo < 0 {
		st, err := db.open(ctx, log)
		if err != nil {
			return err
		}
		return st.Close()
	}
	st, err := store.Open(ctx, db.dataDir, db.databaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.MigrateDownTo(ctx, downTo, log); err != nil {
		return fmt.Errorf("migrate --down-to %d: %w", downTo, err)
	}
	return nil
}
