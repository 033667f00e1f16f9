package store_test

import (
	"context"
	"encoding/json"
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
