package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// claimLinks asks for claim links within at most n link invitations an hour.
func claimLinks(org storetest.Org, n int) *roster.ClaimLinks {
	l := roster.DefaultLimits
	l.LinkInvitationsPerOrg = roster.Rate{Count: n, Per: time.Hour}
	return &roster.ClaimLinks{InviterUID: org.OwnerUID, PlatformLink: "https://roster.example.com/console/account",
		TTL: time.Hour, Limits: l}
}

// An import's claim links are counted for good when it is published: link
// invitations sent while its rows were written leave it less room than it
// was checked against at its start, and then it imports and mails nothing.
func TestImportClaimLinksCountedAtPublication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		old := newClient(org, "old@example.com")
		if err := st.CreateClient(ctx, org.ID, old); err != nil {
			t.Fatal(err)
		}
		claims := claimLinks(org, 3)
		clients := importable(org, 3, nil)
		next := from(clients)
		invited := false
		_, err := st.ImportClientsWithClaimLinks(ctx, org.ID, len(clients), func() (*roster.Client, error) {
			if !invited {
				invited = true
				if _, err := st.InviteLink(ctx, org.ID, roster.LinkRequest{Client: roster.ClientRef{UID: old.UID},
					InviterUID: org.OwnerUID, TTL: time.Hour}, claims.Limits); err != nil {
					t.Fatal(err)
				}
			}
			return next()
		}, nil, claims)
		if roster.KindOf(err) != roster.KindThrottled || !strings.Contains(err.Error(),
			"this import has more new clients than the 2 link invitations this organization may still send (at most 3 per 1h0m0s)") {
			t.Fatalf("err %v, want the claim links refused", err)
		}
		assertCount(t, st, org, 1)
		if mails := unsentTo(t, st); len(mails) != 1 || mails[0] != "old@example.com" {
			t.Errorf("unsent mail to %v, want only the invitation's", mails)
		}

		clients = importable(org, 2, nil)
		sent, err := st.ImportClientsWithClaimLinks(ctx, org.ID, len(clients), from(clients), nil, claims)
		if err != nil || sent != 2 {
			t.Fatalf("sent %d, err %v", sent, err)
		}
		assertCount(t, st, org, 3)
		if mails := unsentTo(t, st); fmt.Sprint(mails) != "[old@example.com c0@example.com c1@example.com]" {
			t.Errorf("unsent mail to %v", mails)
		}
	})
}

// An import's claim links are written in chunks, one invitation and one
// mail per client, in the file's order.
func TestImportClaimLinksInChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		clients := importable(org, 250, nil)
		sent, err := st.ImportClientsWithClaimLinks(ctx, org.ID, len(clients), from(clients), nil, claimLinks(org, 250))
		if err != nil || sent != 250 {
			t.Fatalf("sent %d, err %v", sent, err)
		}
		mails, err := st.UnsentMail(ctx)
		if err != nil {
			t.Fatal(err)
		}
		links := map[string]bool{}
		for i, m := range mails { // the first 100
			link := m.Body[strings.Index(m.Body, "link_invitation=")+len("link_invitation="):][:20]
			if m.To != fmt.Sprintf("c%d@example.com", i) || links[link] {
				t.Fatalf("mail %d to %s, link %s (seen: %v)", i, m.To, link, links[link])
			}
			links[link] = true
		}
		if len(mails) != 100 {
			t.Errorf("%d mails listed, want the first 100", len(mails))
		}
		if left, _, err := st.ClaimLinkRoom(ctx, org.ID, claimLinks(org, 250).Limits); err != nil || left != 0 {
			t.Errorf("room left %d, err %v; want 0", left, err)
		}
	})
}

// unsentTo lists the recipients of the unsent mail, oldest first.
func unsentTo(t *testing.T, st *store.Store) []string {
	t.Helper()
	mails, err := st.UnsentMail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range mails {
		to = append(to, m.To)
	}
	return to
}
