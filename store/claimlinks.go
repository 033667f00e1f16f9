package store

import (
	"context"
	"database/sql"
	"time"

	"roster"
)

// claimTarget is a new client that a claim link goes to.
type claimTarget struct {
	id         int64
	uid, email string
}

// CreateClientWithClaimLink stores a new client as CreateClient does and,
// in the same transaction, sends it a link invitation as InviteLink would,
// within the same limits: refused by a limit, the client is not created
// either. It runs alone, not in a batch of creates: a batch answers its
// creates with one outcome, and a limit must refuse only this one.
func (s *Store) CreateClientWithClaimLink(ctx context.Context, org roster.OrgID, c *roster.Client, cl roster.ClaimLinks) error {
	t := s.now()
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		id, err := s.insertClient(ctx, tx, org, c)
		if err != nil {
			return err
		}
		if err := orgMailLimits(ctx, tx, org, linkInvitationsKind, c.Email, cl.Limits, t); err != nil {
			return err
		}
		_, err = s.claimLinks(ctx, tx, org, cl, t, []claimTarget{{id: id, uid: c.UID, email: c.Email}})
		return err
	})
}

// checkClaimRoom refuses an import of n clients with claim links that its
// organization's limit of link invitations has no room for now, before
// anything is written; the publication counts them for good.
func (s *Store) checkClaimRoom(ctx context.Context, org roster.OrgID, n int, cl roster.ClaimLinks) error {
	left, retry, err := s.ClaimLinkRoom(ctx, org, cl.Limits)
	if err == nil && n > left {
		err = roster.TooManyClaimLinks(left, cl.Limits.LinkInvitationsPerOrg, retry)
	}
	return err
}

// claimLimits counts an import's claim links against its organization's
// limit of link invitations, all at once, and each against the limit of
// mail to its address, as InviteLink counts one.
func claimLimits(ctx context.Context, tx *sql.Tx, org roster.OrgID, targets []claimTarget, l roster.Limits, t time.Time) error {
	if r := l.LinkInvitationsPerOrg; r.Count > 0 {
		count, reset, err := hits(ctx, tx, orgKey(linkInvitationsKind, org), r, t, len(targets))
		if err != nil {
			return err
		}
		if count > r.Count {
			return roster.TooManyClaimLinks(max(r.Count-(count-len(targets)), 0), r, reset.Sub(t))
		}
	}
	for _, c := range targets {
		if err := addressLimit(ctx, tx, org, c.email, c.email, l, t); err != nil {
			return err
		}
	}
	return nil
}

// claimLinks sends a link invitation, with its mail, to each of targets,
// new clients of the organization (so none is linked, deactivated or
// invited yet), with as few statements as their number needs. The
// limits are the caller's to count. It returns how many it sent.
func (s *Store) claimLinks(ctx context.Context, tx *sql.Tx, org roster.OrgID, cl roster.ClaimLinks, t time.Time,
	targets []claimTarget) (int, error) {
	inv := roster.LinkInvitation{PlatformLink: cl.PlatformLink, CreatedAt: t, ExpiresAt: t.Add(cl.TTL)}
	if err := tx.QueryRowContext(ctx, `SELECT uid, company_name FROM organizations WHERE id = $1`, org).
		Scan(&inv.OrgUID, &inv.CompanyName); err != nil {
		return 0, err
	}
	for rest := targets; len(rest) > 0; {
		chunk := rest[:min(len(rest), importChunk)]
		rest = rest[len(chunk):]
		uid, mailUID := roster.NewUIDs(t, len(chunk)), roster.NewUIDs(t, len(chunk))
		invitations := make([]any, 0, 8*len(chunk))
		mails := make([]any, 0, 9*len(chunk))
		entries := make([]auditEntry, len(chunk))
		for i, c := range chunk {
			inv.UID, inv.ClientUID, inv.Email = uid(i), c.uid, c.email
			invitations = append(invitations, inv.UID, org, c.id, roster.EmailKey(c.email), cl.InviterUID,
				nullString(cl.PlatformLink), dbTime{t}, dbTime{inv.ExpiresAt})
			m := roster.LinkInvitationMail(inv)
			mails = append(mails, mailUID(i)+messageIDDomain, m.To, m.Subject, m.Body, dbTime{t}, dbTime{t},
				org, roster.MailLinkInvitation, nil)
			entries[i] = auditEntry{actor: roster.ActorFrom(ctx), org: org, action: "client.link_invite",
				objectType: "client", objectUID: c.uid, fields: []string{"account"}}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO link_invitations
			(uid, org_id, client_id, email_key, inviter_uid, platform_link, created_at, expires_at)
			VALUES `+s.valueLists(8, len(chunk)), invitations...); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox
			(message_id, recipient, subject, body, created_at, next_attempt_at, org_id, kind, ref)
			VALUES `+s.valueLists(9, len(chunk)), mails...); err != nil {
			return 0, err
		}
		if err := s.insertAudit(ctx, tx, entries); err != nil {
			return 0, err
		}
	}
	return len(targets), nil
}

// claimTargets are the clients of chunk, written with ids, as claim links
// go to them.
func claimTargets(chunk []*roster.Client, ids map[string]int64) []claimTarget {
	out := make([]claimTarget, len(chunk))
	for i, c := range chunk {
		out[i] = claimTarget{id: ids[c.UID], uid: c.UID, email: c.Email}
	}
	return out
}
