package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"roster"
)

// CreateOrganization creates an organization with its owner account and
// first API key, all or nothing. It returns the organization and owner uids.
func (s *Store) CreateOrganization(ctx context.Context, o roster.NewOrganization) (orgUID, ownerUID string, err error) {
	t := s.now()
	orgUID, ownerUID = roster.NewUID(t), roster.NewUID(t)
	activities, err := json.Marshal(o.Activities)
	if err != nil {
		return "", "", err
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var orgID, accountID int64
		err := tx.QueryRowContext(ctx, `
			INSERT INTO organizations (uid, company_name, payment_type, session_number, activities, client_limit, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			orgUID, o.CompanyName, o.PaymentType, o.SessionNumber, string(activities), o.ClientLimit, dbTime{t}).Scan(&orgID)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `
			INSERT INTO accounts (uid, email, email_key, display_name, email_verified_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)
			RETURNING id`,
			ownerUID, o.OwnerEmail, roster.EmailKey(o.OwnerEmail), o.OwnerName, dbTime{t}).Scan(&accountID)
		if isUniqueViolation(err) {
			return roster.Errorf(roster.KindInvalid, "email: an account with this email already exists")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO memberships (account_id, org_id, role, status, created_at) VALUES ($1, $2, $3, 'Active', $4)`,
			accountID, orgID, roster.RoleOwner, dbTime{t}); err != nil {
			return err
		}
		if err := insertAPIKey(ctx, tx, accountID, roster.OrgID(orgID), o.Key, t); err != nil {
			return err
		}
		return audit(ctx, tx, roster.OrgID(orgID), "organization.create", "organization", orgUID, "companyName", "payment_type", "session_number", "activity")
	})
	return orgUID, ownerUID, err
}
