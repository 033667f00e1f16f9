package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// TestWebhookEventsGoOnlyWhereSubscribed emits each change to the
// organization's endpoints that subscribe to its type, and to no other
// organization's; with none, nothing is queued.
func TestWebhookEventsGoOnlyWhereSubscribed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		c := newClient(org, "a@example.com")
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		if pending, _, err := st.WebhookStats(ctx); err != nil || pending != 0 {
			t.Fatalf("without endpoints: %d pending, %v", pending, err)
		}
		updates := roster.Webhook{UID: roster.NewUID(time.Now()), URL: "https://example.com/u", Events: []string{roster.EventClientUpdated}}
		if _, err := st.CreateWebhook(ctx, org.ID, updates, "sealed"); err != nil {
			t.Fatal(err)
		}
		all := roster.Webhook{UID: roster.NewUID(time.Now()), URL: "https://example.com/o", Events: []string{roster.EventAll}}
		if _, err := st.CreateWebhook(ctx, other.ID, all, "sealed"); err != nil {
			t.Fatal(err)
		}
		// Another client of org: its create goes nowhere (org's endpoint
		// wants updates, other's is another organization's).
		if err := st.CreateClient(ctx, org.ID, newClient(org, "b@example.com")); err != nil {
			t.Fatal(err)
		}
		name := "Renamed"
		u := roster.ClientUpdate{ClientFields: roster.ClientFields{DisplayName: name}}
		u.Set = roster.FieldsOf(roster.FieldDisplayName)
		if _, err := st.UpdateClient(ctx, org.ID, c.UID, u); err != nil {
			t.Fatal(err)
		}
		list, err := st.WebhookDeliveries(ctx, org.ID, updates.UID, "", 10)
		if err != nil || len(list) != 1 || list[0].Type != roster.EventClientUpdated {
			t.Fatalf("org's deliveries %+v, %v", list, err)
		}
		if theirs, err := st.WebhookDeliveries(ctx, other.ID, all.UID, "", 10); err != nil || len(theirs) != 0 {
			t.Fatalf("other's deliveries %+v, %v", theirs, err)
		}
		// The claim carries the client as the update left it, and the
		// endpoint's secret; another organization cannot list or retry it.
		j, ok, err := st.ClaimWebhook(ctx, time.Now().Add(time.Second), time.Minute)
		if err != nil || !ok || j.WebhookID != list[0].ID || j.OrgUID != org.UID || j.Secrets[0] != "sealed" {
			t.Fatalf("claimed %+v %v %v", j, ok, err)
		}
		var snap roster.Client
		if err := json.Unmarshal(j.Snapshot, &snap); err != nil || snap.UID != c.UID || snap.DisplayName != name {
			t.Errorf("snapshot %s: %v", j.Snapshot, err)
		}
		if _, err := st.WebhookDeliveries(ctx, other.ID, updates.UID, "", 10); roster.KindOf(err) != roster.KindNotFound {
			t.Errorf("another organization lists the deliveries: %v", err)
		}
		if _, err := st.RetryWebhookDelivery(ctx, other.ID, updates.UID, list[0].ID); roster.KindOf(err) != roster.KindNotFound {
			t.Errorf("another organization retries a delivery: %v", err)
		}
		if err := st.DeleteWebhook(ctx, other.ID, updates.UID); roster.KindOf(err) != roster.KindNotFound {
			t.Errorf("another organization deletes the endpoint: %v", err)
		}
	})
}

// TestWebhookClaimsTakeTurnsBetweenEndpoints: while an attempt at one
// endpoint is under way, the next claim goes to another endpoint's due
// delivery, not to the busy one's backlog, so that a slow receiver with
// many events holds one worker and not every organization's deliveries.
func TestWebhookClaimsTakeTurnsBetweenEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		busy, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		hook := func(org storetest.Org) roster.Webhook {
			w := roster.Webhook{UID: roster.NewUID(time.Now()), URL: "https://example.com/" + org.UID, Events: []string{roster.EventAll}}
			if _, err := st.CreateWebhook(ctx, org.ID, w, "sealed"); err != nil {
				t.Fatal(err)
			}
			return w
		}
		hook(busy)
		theirs := hook(other)
		for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			if err := st.CreateClient(ctx, busy.ID, newClient(busy, email)); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.CreateClient(ctx, other.ID, newClient(other, "d@example.com")); err != nil {
			t.Fatal(err)
		}
		now := time.Now().Add(time.Second)
		first, ok, err := st.ClaimWebhook(ctx, now, time.Minute)
		if err != nil || !ok || first.OrgUID != busy.UID {
			t.Fatalf("first claim of %s: %v %v, want the oldest, the busy organization's", first.OrgUID, ok, err)
		}
		second, ok, err := st.ClaimWebhook(ctx, now, time.Minute)
		if err != nil || !ok || second.OrgUID != other.UID {
			t.Fatalf("second claim of %s: %v %v, want the other endpoint's while the first is under way", second.OrgUID, ok, err)
		}
		if _, ok, err := st.ClaimWebhook(ctx, now, time.Minute); err != nil || ok {
			t.Fatalf("a third claim while both endpoints are busy: %v %v", ok, err)
		}
		// Once the first attempt is recorded, its endpoint's next is due.
		if err := st.FinishWebhook(ctx, first.ID, roster.WebhookResult{Outcome: roster.WebhookDelivered, At: now, Status: 200}); err != nil {
			t.Fatal(err)
		}
		next, ok, err := st.ClaimWebhook(ctx, now, time.Minute)
		if err != nil || !ok || next.OrgUID != busy.UID || next.ID == first.ID {
			t.Fatalf("after the first attempt: %s of %s, %v %v", next.WebhookID, next.OrgUID, ok, err)
		}
		// A lease that runs out frees its endpoint too: the process died.
		later := now.Add(2 * time.Minute)
		for range 2 { // one for each endpoint
			if _, ok, err := st.ClaimWebhook(ctx, later, time.Minute); err != nil || !ok {
				t.Fatalf("after the leases ran out: %v %v", ok, err)
			}
		}
		if d, err := st.WebhookDeliveries(ctx, other.ID, theirs.UID, "", 10); err != nil || len(d) != 1 || d[0].Attempts != 2 {
			t.Fatalf("other's deliveries %+v %v, want one, claimed again once its lease ran out", d, err)
		}
	})
}

// TestInvitationEventsKeepNoToken: an invitation's token answers it, and
// no webhook delivery keeps it, in its snapshot or its body. Migration 29
// drops the bodies rendered before, which carried it, so that they are
// rendered again from their snapshots.
func TestInvitationEventsKeepNoToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		hook := roster.Webhook{UID: roster.NewUID(time.Now()), URL: "https://example.com/i", Events: []string{roster.EventInvitationCreated}}
		if _, err := st.CreateWebhook(ctx, org.ID, hook, "sealed"); err != nil {
			t.Fatal(err)
		}
		inv, err := st.CreateInvitation(ctx, org.ID, org.OwnerUID, "coach@example.com", "", time.Hour, roster.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		kept := func() (n int) {
			t.Helper()
			if err := st.DBForTest().QueryRow(`SELECT count(*) FROM webhook_deliveries
				WHERE snapshot LIKE '%' || $1 || '%' OR body LIKE '%' || $1 || '%'`, inv.Token).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := kept(); n != 0 {
			t.Errorf("%d deliveries keep the invitation's token", n)
		}
		// A body rendered before migration 29, with the token.
		if err := st.MigrateDownTo(ctx, 28, quiet); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DBForTest().Exec(`UPDATE webhook_deliveries SET body = $1 WHERE org_id = $2`,
			`{"data":{"invite_token":"`+inv.Token+`"}}`, org.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.Migrate(ctx, quiet); err != nil {
			t.Fatal(err)
		}
		if n := kept(); n != 0 {
			t.Errorf("after migration 29, %d deliveries keep the invitation's token", n)
		}
	})
}

// attemptRows counts the attempts kept of every delivery.
func attemptRows(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM webhook_attempts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// attemptedHook gives org an endpoint and a delivery to it with two
// attempts recorded, a failure and a success, at now.
func attemptedHook(t *testing.T, st *store.Store, org storetest.Org, now time.Time) roster.Webhook {
	t.Helper()
	ctx := context.Background()
	w := roster.Webhook{UID: roster.NewUID(time.Now()), URL: "https://example.com/" + org.UID, Events: []string{roster.EventAll}}
	if _, err := st.CreateWebhook(ctx, org.ID, w, "sealed"); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateClient(ctx, org.ID, newClient(org, strings.ToLower(w.UID)+"@example.com")); err != nil {
		t.Fatal(err)
	}
	for _, r := range []roster.WebhookResult{
		{Outcome: roster.WebhookRetry, Status: 500, Error: "500 Internal Server Error", Next: now},
		{Outcome: roster.WebhookDelivered, Status: 200},
	} {
		j, ok, err := st.ClaimWebhook(ctx, now, time.Minute)
		if err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		r.At, r.Attempt = now, j.Attempts
		if err := st.FinishWebhook(ctx, j.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// TestWebhookAttemptsGoWithTheirDelivery: a delivery's attempts are
// deleted with it, when its endpoint is deleted and when it is pruned.
func TestWebhookAttemptsGoWithTheirDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().Add(time.Hour) // every delivery of the test due, however slow it runs
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		pruned := attemptedHook(t, st, org, now)
		deleted := attemptedHook(t, st, other, now)
		if n := attemptRows(t, st); n != 4 {
			t.Fatalf("%d attempts kept, want 2 of each delivery", n)
		}
		if err := st.DeleteWebhook(ctx, other.ID, deleted.UID); err != nil {
			t.Fatal(err)
		}
		if n := attemptRows(t, st); n != 2 {
			t.Fatalf("%d attempts kept after an endpoint's deletion, want the other endpoint's 2", n)
		}
		list, err := st.WebhookDeliveries(ctx, org.ID, pruned.UID, "", 10)
		if err != nil || len(list) != 1 || len(list[0].LastAttempts) != 2 || list[0].LastAttempts[0].Status != 200 {
			t.Fatalf("deliveries %+v, %v", list, err)
		}
		if n, err := st.PruneWebhookDeliveries(ctx, now.Add(time.Second), 1000); err != nil || n != 1 {
			t.Fatalf("pruned %d, %v", n, err)
		}
		if n := attemptRows(t, st); n != 0 {
			t.Errorf("%d attempts kept after the prune", n)
		}
		if _, err := st.WebhookAttempts(ctx, org.ID, pruned.UID, list[0].ID, 0, 10); roster.KindOf(err) != roster.KindNotFound {
			t.Errorf("the attempts of a pruned delivery: %v", err)
		}
	})
}
