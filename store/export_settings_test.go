package store

import "context"

// StoredSetting returns a row of settings as it is stored, for tests of what
// a reader of the database sees.
func (s *Store) StoredSetting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.wdb.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	return v, err
}

// StoreSetting writes a row of settings as it is stored, for tests of
// databases from before a change and of tampering.
func (s *Store) StoreSetting(ctx context.Context, name, value string) error {
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}
