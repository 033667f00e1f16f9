package store

import (
	"context"

	"roster"
)

// OrganizationUsage returns how many clients the organization has, from its
// counters as the plan's limit reads them, and how many analysis sessions
// are recorded for them, counted through the index that leads with org_id.
func (s *Store) OrganizationUsage(ctx context.Context, org roster.OrgID) (roster.OrganizationUsage, error) {
	var u roster.OrganizationUsage
	err := s.queryRow(ctx, `SELECT (`+counterSum(quote(totalKey.dim), quote(totalKey.value))+`),
		(SELECT count(*) FROM analysis_sessions WHERE org_id = $1)`, org).Scan(&u.Clients, &u.AnalysisSessions)
	return u, err
}
