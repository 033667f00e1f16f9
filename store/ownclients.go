package store

import (
	"context"
	"database/sql"
	"errors"

	"roster"
)

// maxOwnClients bounds the profiles of one person: one per organization.
const maxOwnClients = 100

// OwnClients returns the active client profiles linked to an account.
func (s *Store) OwnClients(ctx context.Context, accountUID string) ([]roster.OwnClient, error) {
	rows, err := s.query(ctx, `SELECT o.id, o.uid, o.company_name, `+qualified("c", listColumns)+`
		FROM accounts a JOIN client_links l ON l.account_id = a.id JOIN clients c ON c.id = l.client_id
		JOIN organizations o ON o.id = c.org_id
		WHERE a.uid = $1 AND c.deactivated_at IS NULL
		ORDER BY o.id LIMIT $2`, accountUID, maxOwnClients)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var own []roster.OwnClient
	for rows.Next() {
		var oc roster.OwnClient
		if err := scanClient(rows, &oc.Client, &oc.Org, &oc.OrgUID, &oc.CompanyName); err != nil {
			return nil, err
		}
		own = append(own, oc)
	}
	return own, rows.Err()
}

// OwnClientOrg returns the organization of one of the account's own
// client profiles, or roster.ErrClientNotFound.
func (s *Store) OwnClientOrg(ctx context.Context, accountUID, clientUID string) (roster.OrgID, error) {
	var org roster.OrgID
	err := s.queryRow(ctx, `SELECT c.org_id FROM accounts a JOIN client_links l ON l.account_id = a.id JOIN clients c ON c.id = l.client_id
		WHERE a.uid = $1 AND c.uid = $2 AND c.deactivated_at IS NULL`, accountUID, clientUID).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, roster.ErrClientNotFound
	}
	return org, err
}
