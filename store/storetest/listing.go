package storetest

import (
	"cmp"
	"slices"
	"strings"

	"roster"
)

// Listed returns the uids of the clients among all that q lists, in q's
// order, worked out in Go from the clients' values, for tests of the SQL
// that lists them. all are one organization's clients, as stored.
func Listed(all []roster.Client, q roster.ClientQuery) []string {
	search := strings.ToLower(q.Search)
	var out []*roster.Client
	for i := range all {
		c := &all[i]
		if (c.DeactivatedAt != nil) != q.Deactivated ||
			q.Email != "" && !strings.EqualFold(c.Email, q.Email) ||
			!strings.Contains(strings.ToLower(c.DisplayName), search) && !strings.Contains(strings.ToLower(c.Email), search) ||
			!filtered(q.ClientFilter, c) {
			continue
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *roster.Client) int { return compareListed(q, a, b) })
	uids := make([]string, len(out))
	for i, c := range out {
		uids[i] = c.UID
	}
	return uids
}

// filtered reports whether f selects c.
func filtered(f roster.ClientFilter, c *roster.Client) bool {
	switch {
	case f.AdminUID != "" && c.CreatedBy != f.AdminUID,
		f.Gender != "" && (c.Gender == nil || *c.Gender != f.Gender),
		len(f.Activities) > 0 && !slices.ContainsFunc(f.Activities, func(a string) bool { return slices.Contains(c.PreferableActivities, a) }),
		(!f.From.IsZero() || !f.To.IsZero()) && c.LastSession == nil,
		!f.From.IsZero() && c.LastSession.Before(f.From),
		!f.To.IsZero() && !c.LastSession.Before(f.To),
		slices.ContainsFunc(f.Ranges, func(r roster.Range) bool { return !r.Contains(&c.ClientFields) }):
		return false
	}
	return true
}

func compareListed(q roster.ClientQuery, a, b *roster.Client) int {
	if q.OrderBy == roster.OrderLastSession && (a.LastSession == nil) != (b.LastSession == nil) {
		if a.LastSession == nil {
			return 1 // last, whatever the direction
		}
		return -1
	}
	var c int
	switch q.OrderBy {
	case roster.OrderDisplayName:
		c = strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName))
	case roster.OrderEmail:
		c = strings.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email))
	case roster.OrderSessionsCount:
		c = cmp.Compare(a.SessionsCount, b.SessionsCount)
	case roster.OrderLastSession:
		if a.LastSession != nil {
			c = a.LastSession.Compare(*b.LastSession)
		}
	}
	c = cmp.Or(c, strings.Compare(a.UID, b.UID))
	if !q.Ascending {
		c = -c
	}
	return c
}
