package store

import (
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// timeLayout is fixed-width so that SQLite's text times sort in time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// dbTime carries a time to and from either engine: PostgreSQL returns
// timestamptz as time.Time, SQLite returns the text written by Value. The
// zero time is NULL.
type dbTime struct{ time.Time }

func (t dbTime) Value() (driver.Value, error) {
	if t.IsZero() {
		return nil, nil
	}
	return t.UTC().Format(timeLayout), nil
}

// TimestamptzValue lets pgx encode the time natively. Through Value it
// would first fail to encode the text as a timestamptz and then parse it,
// which costs more than all the other parameters of a client's row.
func (t dbTime) TimestamptzValue() (pgtype.Timestamptz, error) {
	return pgtype.Timestamptz{Time: t.Time, Valid: !t.IsZero()}, nil
}

func (t *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.Time = time.Time{}
	case time.Time:
		t.Time = x.UTC()
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	default:
		return fmt.Errorf("store: cannot scan %T into a time", v)
	}
	return nil
}

func (t *dbTime) parse(s string) error {
	p, err := time.Parse(time.RFC3339Nano, s)
	t.Time = p.UTC()
	return err
}

// ptr returns nil for NULL.
func (t dbTime) ptr() *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t.Time
}

// SetClock makes the store take the time from now instead of the system
// clock: for what expires (codes, invitations, sessions), what a limit's
// window counts and what it stamps. Tests set a clock that moves only when
// told, so that nothing expires, or outlasts its window, because the
// machine is slow. Call it before the store is used.
func (s *Store) SetClock(now func() time.Time) { s.clock = now }

// now is the store's current time at the precision it keeps.
func (s *Store) now() time.Time { return atPrecision(s.clock()) }

// systemNow is the system clock's time at the precision the store keeps,
// for what happens outside any clock a test sets: migrations, and the
// audit log's timestamps, which no rule compares.
func systemNow() time.Time { return atPrecision(time.Now()) }

func atPrecision(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
