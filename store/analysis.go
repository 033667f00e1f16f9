package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"roster"
)

// RecordAnalysisSession stores an analysis session of the organization's client,
// moves the client's last_session forward to it, and takes one unit of the
// organization's session_number, all or nothing. It returns the sessions
// left. The caller sets the session's uid, time, creator and created_at.
func (s *Store) RecordAnalysisSession(ctx context.Context, org roster.OrgID, clientUID string, a *roster.AnalysisSession) (remaining int64, err error) {
	a.ClientUID = clientUID
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Not found too drops a cached copy, which must be stale.
		clientsChanged(ctx, clientUID)
		if err := s.inScope(ctx, tx, org, roster.ClientRef{UID: clientUID}); err != nil {
			return err
		}
		// The client's row first, then the organization's: the order of
		// every transaction, so that none waits on another in a cycle on
		// PostgreSQL. A session recorded late, older than the latest one,
		// leaves last_session where it is.
		var clientID int64
		err := s.txQueryRow(ctx, tx, `
			UPDATE clients SET updated_at = $4, sessions_count = sessions_count + 1,
				last_session = CASE WHEN last_session IS NULL OR last_session < $3 THEN $3 ELSE last_session END
			WHERE org_id = $1 AND uid = $2 AND `+visible+` RETURNING id`,
			org, clientUID, dbTime{a.Time}, dbTime{a.CreatedAt}).Scan(&clientID)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.ErrClientNotFound
		}
		if err != nil {
			return err
		}
		// A plain read locks nothing; the activity is checked inside the
		// transaction so that an operator's change applies at once.
		var activities string
		if err := s.txQueryRow(ctx, tx, `SELECT activities FROM organizations WHERE id = $1`, org).Scan(&activities); err != nil {
			return err
		}
		var enabled []string
		if err := json.Unmarshal([]byte(activities), &enabled); err != nil {
			return fmt.Errorf("organization %d: activities: %w", org, err)
		}
		if err := roster.CheckAnalysisSessionActivity(a.Activity, enabled); err != nil {
			return err
		}
		// Conditional and atomic: concurrent recordings cannot overspend.
		err = s.txQueryRow(ctx, tx, `
			UPDATE organizations SET session_number = session_number - 1
			WHERE id = $1 AND session_number > 0 RETURNING session_number`, org).Scan(&remaining)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.ErrNoAnalysisSessionsLeft
		}
		if err != nil {
			return err
		}
		_, err = s.txExec(ctx, tx, `
			INSERT INTO analysis_sessions (uid, org_id, client_id, activity, started_at, duration, metrics, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			a.UID, org, clientID, a.Activity, dbTime{a.Time}, a.Duration, nullString(string(a.Metrics)), a.CreatedBy, dbTime{a.CreatedAt})
		if err != nil {
			return err
		}
		if err := s.emit(ctx, tx, org, roster.EventSessionRecorded, a); err != nil {
			return err
		}
		return audit(ctx, tx, org, "client.session", "client", clientUID, "last_session", "sessions_count")
	})
	return remaining, err
}

// ClientAnalysisSessions returns up to limit of the client's sessions older than
// the session uid after ("" for the newest), newest first.
func (s *Store) ClientAnalysisSessions(ctx context.Context, org roster.OrgID, clientUID, after string, limit int) ([]roster.AnalysisSession, error) {
	// Looked up apart, so that a client without sessions is told from one
	// that does not exist, and the page then walks the session index.
	clientID, err := s.clientID(ctx, org, clientUID)
	if err != nil {
		return nil, err
	}
	if after == "" {
		after = "~" // sorts after every uid
	}
	args := []any{org, clientID, after}
	rows, err := s.query(ctx, `
		SELECT uid, activity, started_at, duration, metrics, created_by, created_at FROM analysis_sessions
		WHERE org_id = $1 AND client_id = $2 AND uid < $3 ORDER BY uid DESC LIMIT `+s.limit(&args, limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sessions := []roster.AnalysisSession{}
	for rows.Next() {
		a := roster.AnalysisSession{ClientUID: clientUID}
		var metrics sql.NullString
		var at, created dbTime
		if err := rows.Scan(&a.UID, &a.Activity, &at, &a.Duration, &metrics, &a.CreatedBy, &created); err != nil {
			return nil, err
		}
		a.Time, a.CreatedAt = at.Time, created.Time
		if metrics.Valid {
			a.Metrics = json.RawMessage(metrics.String)
		}
		sessions = append(sessions, a)
	}
	return sessions, cmp.Or(rows.Err(), rows.Close())
}
