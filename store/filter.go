package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"roster"
)

// FilterClients returns one keyset page of the organization's clients that
// match f, newest first, with the number of matching clients. Without a
// filter the number comes from the organization's counter, not a scan.
func (s *Store) FilterClients(ctx context.Context, org roster.OrgID, f roster.ClientFilter, p roster.Page) (roster.FilterPage, error) {
	where, args := filterWhere(org, f)
	var page roster.FilterPage
	if err := s.countClients(ctx, org, f, where, args, &page.Count); err != nil {
		return page, err
	}
	order := "DESC"
	switch {
	case p.After != "":
		args = append(args, p.After)
		where += fmt.Sprintf(" AND uid < $%d", len(args))
	case p.Before != "":
		// Walk up from the cursor, then put the page back in list order.
		args = append(args, p.Before)
		where += fmt.Sprintf(" AND uid > $%d", len(args))
		order = "ASC"
	}
	rows, err := s.query(ctx, fmt.Sprintf(`SELECT %s FROM clients WHERE %s ORDER BY uid %s LIMIT %s`,
		listColumns, where, order, s.limit(&args, p.Limit)), args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		var c roster.Client
		if err := scanClient(rows, &c); err != nil {
			return page, err
		}
		page.Clients = append(page.Clients, c)
	}
	if order == "ASC" {
		for i, j := 0, len(page.Clients)-1; i < j; i, j = i+1, j-1 {
			page.Clients[i], page.Clients[j] = page.Clients[j], page.Clients[i]
		}
	}
	return page, rows.Err()
}

// countClients counts the clients matching f: from the organization's
// counter without a filter, from client_counts with a filter on one
// gender, activity or admin, and by counting rows otherwise.
// limit returns the LIMIT clause's value for n. On PostgreSQL it is written
// into the query: a prepared LIMIT $n is planned without knowing n, and may
// then sort instead of walking the index (n is an int the api package caps).
// On SQLite it is bound, so that the store's prepared statements stay few.
func (s *Store) limit(args *[]any, n int) string {
	if s.postgres {
		return strconv.Itoa(n)
	}
	*args = append(*args, n)
	return fmt.Sprintf("$%d", len(*args))
}

func (s *Store) countClients(ctx context.Context, org roster.OrgID, f roster.ClientFilter, where string, args []any, n *int64) error {
	if f.IsZero() {
		return s.queryRow(ctx, `SELECT client_count FROM organizations WHERE id = $1`, org).Scan(n)
	}
	if k, ok := countKeyOf(f); ok {
		err := s.queryRow(ctx, `SELECT n FROM client_counts WHERE org_id = $1 AND dim = $2 AND value = $3`, org, k.dim, k.value).Scan(n)
		if errors.Is(err, sql.ErrNoRows) {
			*n, err = 0, nil
		}
		return err
	}
	return s.queryRow(ctx, `SELECT count(*) FROM clients WHERE `+where, args...).Scan(n)
}

// filterWhere builds the WHERE clause of f; its first argument is always
// the organization.
func filterWhere(org roster.OrgID, f roster.ClientFilter) (string, []any) {
	conds := []string{"org_id = $1"}
	args := []any{org}
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.AdminUID != "" {
		add("created_by = $%d", f.AdminUID)
	}
	if f.Gender != "" {
		add("gender = $%d", f.Gender)
	}
	if !f.From.IsZero() {
		add("last_session >= $%d", dbTime{f.From})
	}
	if !f.To.IsZero() {
		add("last_session < $%d", dbTime{f.To})
	}
	if len(f.Activities) > 0 {
		in := make([]string, len(f.Activities))
		for i, a := range f.Activities {
			args = append(args, a)
			in[i] = fmt.Sprintf("$%d", len(args))
		}
		// Correlated, so that a page walks the keyset index and checks each
		// client's few activity rows, instead of collecting every client of
		// the activity first.
		conds = append(conds, `EXISTS (SELECT 1 FROM client_activities a WHERE a.client_id = clients.id AND a.activity IN (`+
			strings.Join(in, ", ")+`))`)
	}
	return strings.Join(conds, " AND "), args
}
