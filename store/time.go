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

// now is the current time at the precision the store keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
