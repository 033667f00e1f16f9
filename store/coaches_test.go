package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// newAdmin makes a new account an Admin of org by an accepted invitation,
// with scope, and returns its principal.
func newAdmin(t *testing.T, st *store.Store, org storetest.Org, email, scope string) roster.Principal {
	t.Helper()
	ctx := context.Background()
	uid, err := st.CreateAccount(ctx, roster.NewAccount{Email: email, DisplayName: "Coach", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := st.CreateInvitation(ctx, org.ID, org.OwnerUID, email, "", time.Hour, roster.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RespondInvitation(ctx, uid, inv.Token, true); err != nil {
		t.Fatal(err)
	}
	if err := st.UpdateStaff(ctx, org.ID, uid, roster.StaffUpdate{SetScope: true, Scope: scope}); err != nil {
		t.Fatal(err)
	}
	return roster.Principal{OrgID: org.ID, AccountUID: uid, Role: roster.RoleAdmin, Scope: scope}
}

// scopedUIDs are the uids of the filter page f's first 100 clients as p
// sees them, sorted, and the page's count.
func scopedUIDs(t *testing.T, st *store.Store, p roster.Principal, f roster.ClientFilter) ([]string, int64) {
	t.Helper()
	page, err := st.FilterClients(store.AsStaff(context.Background(), p), p.OrgID, f, roster.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, c := range page.Clients {
		uids = append(uids, c.UID)
	}
	slices.Sort(uids)
	return uids, page.Count
}

// TestCoachScope: the clients an Admin creates, one by one or by an
// import, are assigned to them and to nobody else; an Owner's are
// assigned to nobody; a scoped Admin's filter pages, counts and reads by
// uid cover their clients only, an assignment and an unassignment taking
// effect at once, a cached client included; deactivation leaves the count;
// a departing coach's assignments go with them.
func TestCoachScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		coach := newAdmin(t, st, org, "coach@example.com", roster.ScopeAssigned)
		owner := roster.Principal{OrgID: org.ID, AccountUID: org.OwnerUID, Role: roster.RoleOwner, Scope: roster.ScopeAll}
		byCoach := newClient(org, "made@example.com", func(c *roster.Client) { c.CreatedBy = coach.AccountUID })
		if err := st.CreateClient(store.AsStaff(ctx, coach), org.ID, byCoach); err != nil {
			t.Fatal(err)
		}
		byOwner := newClient(org, "owner@example.com")
		if err := st.CreateClient(store.AsStaff(ctx, owner), org.ID, byOwner); err != nil {
			t.Fatal(err)
		}
		var imported []*roster.Client
		for i := range 3 {
			imported = append(imported, newClient(org, fmt.Sprintf("imported%d@example.com", i),
				func(c *roster.Client) { c.CreatedBy = coach.AccountUID }))
		}
		if err := st.ImportClients(store.AsStaff(ctx, coach), org.ID, len(imported), from(imported), nil); err != nil {
			t.Fatal(err)
		}
		mine := []string{byCoach.UID}
		for _, c := range imported {
			mine = append(mine, c.UID)
		}
		slices.Sort(mine)
		if got, n := scopedUIDs(t, st, coach, roster.ClientFilter{}); !slices.Equal(got, mine) || n != int64(len(mine)) {
			t.Errorf("scoped page: %v (count %d), want %v", got, n, mine)
		}
		if got, n := scopedUIDs(t, st, owner, roster.ClientFilter{CoachUID: coach.AccountUID}); !slices.Equal(got, mine) || n != int64(len(mine)) {
			t.Errorf("coach filter: %v (count %d), want %v", got, n, mine)
		}
		if got, n := scopedUIDs(t, st, owner, roster.ClientFilter{}); len(got) != 5 || n != 5 {
			t.Errorf("owner's page: %v (count %d)", got, n)
		}
		// The scope is the store's, whatever the filter says.
		if got, _ := scopedUIDs(t, st, coach, roster.ClientFilter{Scope: "somebody-else"}); !slices.Equal(got, mine) {
			t.Errorf("a filter's own Scope widened the page: %v", got)
		}
		scoped := store.AsStaff(ctx, coach)
		if _, err := st.Client(ctx, org.ID, byOwner.UID); err != nil { // cached, unscoped
			t.Fatal(err)
		}
		if _, err := st.Client(scoped, org.ID, byOwner.UID); !errors.Is(err, roster.ErrClientNotFound) {
			t.Errorf("scoped read of an unassigned, cached client: %v", err)
		}
		if err := st.SaveNote(scoped, org.ID, byOwner.UID, ptr("mine")); !errors.Is(err, roster.ErrClientNotFound) {
			t.Errorf("scoped note on an unassigned client: %v", err)
		}
		if _, err := st.DeleteClient(scoped, org.ID, byOwner.UID); !errors.Is(err, roster.ErrClientNotFound) {
			t.Errorf("scoped delete of an unassigned client: %v", err)
		}
		if _, err := st.SetCoach(scoped, org.ID, byCoach.UID, coach.AccountUID, true); roster.KindOf(err) != roster.KindForbidden {
			t.Errorf("a scoped Admin assigning: %v", err)
		}
		for range 2 { // the second changes nothing
			coaches, err := st.SetCoach(ctx, org.ID, byOwner.UID, coach.AccountUID, true)
			if err != nil || !slices.Equal(coaches, []string{coach.AccountUID}) {
				t.Fatalf("assign: %v %v", coaches, err)
			}
		}
		if _, err := st.Client(scoped, org.ID, byOwner.UID); err != nil {
			t.Errorf("scoped read of a client just assigned: %v", err)
		}
		if _, n := scopedUIDs(t, st, coach, roster.ClientFilter{}); n != int64(len(mine)+1) {
			t.Errorf("count after assigning: %d", n)
		}
		if _, err := st.SetClientActive(ctx, org.ID, roster.ClientRef{UID: byOwner.UID}, false); err != nil {
			t.Fatal(err)
		}
		if _, n := scopedUIDs(t, st, coach, roster.ClientFilter{}); n != int64(len(mine)) {
			t.Errorf("count after deactivating an assigned client: %d", n)
		}
		if _, err := st.SetClientActive(ctx, org.ID, roster.ClientRef{UID: byOwner.UID}, true); err != nil {
			t.Fatal(err)
		}
		if got, n := scopedUIDs(t, st, coach, roster.ClientFilter{}); n != int64(len(mine)+1) || len(got) != len(mine)+1 {
			t.Errorf("after reactivating an assigned client: %v, count %d", got, n)
		}
		if coaches, err := st.SetCoach(ctx, org.ID, byOwner.UID, coach.AccountUID, false); err != nil || len(coaches) != 0 {
			t.Fatalf("unassign: %v %v", coaches, err)
		}
		if _, err := st.Client(scoped, org.ID, byOwner.UID); !errors.Is(err, roster.ErrClientNotFound) {
			t.Errorf("scoped read of a client just unassigned: %v", err)
		}
		for _, bad := range []string{"00000000000000000000", org.OwnerUID + "x"} {
			if _, err := st.SetCoach(ctx, org.ID, byOwner.UID, bad, true); !errors.Is(err, store.ErrCoachNotFound) {
				t.Errorf("coach %q: %v", bad, err)
			}
		}
		if err := st.RemoveStaff(ctx, org.ID, coach.AccountUID); err != nil {
			t.Fatal(err)
		}
		if got, n := scopedUIDs(t, st, owner, roster.ClientFilter{CoachUID: coach.AccountUID}); len(got) != 0 || n != 0 {
			t.Errorf("a removed coach keeps clients: %v (count %d)", got, n)
		}
	})
}

// TestClientCoaches: a client's coaches are read as staff members, in uid
// order, within the caller's scope and organization; a coach who leaves
// is no longer one.
func TestClientCoaches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		scopedCoach := newAdmin(t, st, org, "scoped@example.com", roster.ScopeAssigned)
		allCoach := newAdmin(t, st, org, "all@example.com", roster.ScopeAll)
		coached, plain, theirs := newClient(org, "coached@example.com"), newClient(org, "plain@example.com"), newClient(other, "theirs@example.com")
		for _, c := range []struct {
			org storetest.Org
			c   *roster.Client
		}{{org, coached}, {org, plain}, {other, theirs}} {
			if err := st.CreateClient(ctx, c.org.ID, c.c); err != nil {
				t.Fatal(err)
			}
		}
		for _, coach := range []string{scopedCoach.AccountUID, allCoach.AccountUID} {
			if _, err := st.SetCoach(ctx, org.ID, coached.UID, coach, true); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{scopedCoach.AccountUID + " scoped@example.com assigned", allCoach.AccountUID + " all@example.com all"}
		slices.Sort(want)
		shown := func(ms []roster.StaffMember) []string {
			out := []string{}
			for _, m := range ms {
				out = append(out, m.UID+" "+m.Email+" "+m.Scope)
			}
			return out
		}
		for name, c := range map[string]context.Context{"owner": ctx, "scoped coach": store.AsStaff(ctx, scopedCoach)} {
			got, err := st.ClientCoaches(c, org.ID, coached.UID)
			if err != nil || !slices.Equal(shown(got), want) {
				t.Errorf("%s: %v %v; want %v", name, shown(got), err, want)
			}
		}
		if got, err := st.ClientCoaches(ctx, org.ID, plain.UID); err != nil || len(got) != 0 {
			t.Errorf("a client without coaches: %v %v", got, err)
		}
		for name, read := range map[string]func() ([]roster.StaffMember, error){
			"unassigned, scoped": func() ([]roster.StaffMember, error) {
				return st.ClientCoaches(store.AsStaff(ctx, scopedCoach), org.ID, plain.UID)
			},
			"another organization's": func() ([]roster.StaffMember, error) { return st.ClientCoaches(ctx, org.ID, theirs.UID) },
			"nobody's":               func() ([]roster.StaffMember, error) { return st.ClientCoaches(ctx, org.ID, "00000000000000000000") },
		} {
			if got, err := read(); !errors.Is(err, roster.ErrClientNotFound) {
				t.Errorf("%s client: %v %v; want not found", name, got, err)
			}
		}
		if err := st.RemoveStaff(ctx, org.ID, allCoach.AccountUID); err != nil {
			t.Fatal(err)
		}
		if got, err := st.ClientCoaches(ctx, org.ID, coached.UID); err != nil || len(got) != 1 || got[0].UID != scopedCoach.AccountUID {
			t.Errorf("after a coach left: %v %v", shown(got), err)
		}
	})
}

// TestAdminCreatesAreAssigned: creates made together, which share a
// transaction, assign each client to the Admin who created it, whatever
// their scope, and nobody else's; a create by the Owner is assigned to
// nobody, even naming an Admin as its creator; a create refused (a taken
// email) leaves no assignment.
func TestAdminCreatesAreAssigned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		owner := roster.Principal{OrgID: org.ID, AccountUID: org.OwnerUID, Role: roster.RoleOwner, Scope: roster.ScopeAll}
		admins := []roster.Principal{
			newAdmin(t, st, org, "scoped@example.com", roster.ScopeAssigned),
			newAdmin(t, st, org, "all@example.com", roster.ScopeAll),
		}
		const each = 12
		want := map[string][]string{}
		var wg sync.WaitGroup
		errs := make(chan error, 3*each+1)
		for _, p := range append(admins, owner) {
			for i := range each {
				c := newClient(org, fmt.Sprintf("%s-%d@example.com", p.AccountUID, i), func(c *roster.Client) { c.CreatedBy = p.AccountUID })
				if p.Role == roster.RoleAdmin {
					want[p.AccountUID] = append(want[p.AccountUID], c.UID)
				}
				wg.Go(func() { errs <- st.CreateClient(store.AsStaff(ctx, p), org.ID, c) })
			}
		}
		// The Owner's create naming an Admin as its creator, and an Admin's
		// refused for its email.
		named := newClient(org, "named@example.com", func(c *roster.Client) { c.CreatedBy = admins[1].AccountUID })
		wg.Go(func() { errs <- st.CreateClient(store.AsStaff(ctx, owner), org.ID, named) })
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		taken := newClient(org, admins[0].AccountUID+"-0@example.com", func(c *roster.Client) { c.CreatedBy = admins[0].AccountUID })
		if err := st.CreateClient(store.AsStaff(ctx, admins[0]), org.ID, taken); roster.KindOf(err) != roster.KindInvalid {
			t.Fatalf("a taken email: %v", err)
		}
		for _, a := range admins {
			slices.Sort(want[a.AccountUID])
			if got, n := scopedUIDs(t, st, owner, roster.ClientFilter{CoachUID: a.AccountUID}); !slices.Equal(got, want[a.AccountUID]) || n != each {
				t.Errorf("%s's clients: %v (count %d), want %v", a.Scope, got, n, want[a.AccountUID])
			}
		}
	})
}

// TestImportByRemovedAdmin: an Admin removed while their import runs is
// assigned none of the clients written after: whether the creator is an
// Admin is checked as the rows are written, not when the import began.
func TestImportByRemovedAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		owner := roster.Principal{OrgID: org.ID, AccountUID: org.OwnerUID, Role: roster.RoleOwner, Scope: roster.ScopeAll}
		coach := newAdmin(t, st, org, "leaving@example.com", roster.ScopeAssigned)
		const n, removedAt = 250, 150 // the removal falls between two chunks
		var clients []*roster.Client
		for i := range n {
			clients = append(clients, newClient(org, fmt.Sprintf("row%d@example.com", i), func(c *roster.Client) { c.CreatedBy = coach.AccountUID }))
		}
		next := from(clients)
		read := 0
		err := st.ImportClients(store.AsStaff(ctx, coach), org.ID, n, func() (*roster.Client, error) {
			if read++; read == removedAt {
				if err := st.RemoveStaff(ctx, org.ID, coach.AccountUID); err != nil {
					return nil, err
				}
			}
			return next()
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, count := scopedUIDs(t, st, owner, roster.ClientFilter{CoachUID: coach.AccountUID}); len(got) != 0 || count != 0 {
			t.Errorf("a removed Admin was assigned %d clients (count %d)", len(got), count)
		}
		if _, count := scopedUIDs(t, st, owner, roster.ClientFilter{}); count != n {
			t.Errorf("the import wrote %d clients, want %d", count, n)
		}
	})
}
