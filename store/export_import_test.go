package store

import "context"

// ImportLeftovers counts the imports the store still keeps and the clients
// still marked with an import: both are 0 once every import has ended,
// published and tidied or failed and removed.
func (s *Store) ImportLeftovers(ctx context.Context) (imports, rows int, err error) {
	err = s.rdb.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM client_imports),
		(SELECT count(*) FROM clients WHERE import_id IS NOT NULL)`).Scan(&imports, &rows)
	return imports, rows, err
}
