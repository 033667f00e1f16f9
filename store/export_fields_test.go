package store

import "context"

// Column is what a test needs to know of a table's column.
type Column struct {
	Type     string // as the engine names it, lower-cased
	Nullable bool
}

// ClientColumns returns the columns of the clients table, as the engine
// describes its schema.
func (s *Store) ClientColumns(ctx context.Context) (map[string]Column, error) {
	query := `SELECT name, lower(type), "notnull" = 0 FROM pragma_table_info('clients')`
	if s.postgres {
		query = `SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = 'clients'`
	}
	rows, err := s.rdb.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]Column{}
	for rows.Next() {
		var name string
		var c Column
		if err := rows.Scan(&name, &c.Type, &c.Nullable); err != nil {
			return nil, err
		}
		cols[name] = c
	}
	return cols, rows.Err()
}
