package store_test

import (
	"context"
	"testing"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// PhotoNamed finds a photo by the key its client has, in the client's own
// organization only, and no longer once the client is gone.
func TestPhotoNamed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		key := org.UID + "/photo.jpg"
		c := newClient(org, "pic@example.com", func(c *roster.Client) { c.ProfilePhoto = key })
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		bare := newClient(org, "bare@example.com")
		if err := st.CreateClient(ctx, org.ID, bare); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			org, client, key string
			want             bool
		}{
			{org.UID, c.UID, key, true},
			{org.UID, c.UID, org.UID + "/other.jpg", false},
			{other.UID, c.UID, key, false},
			{org.UID, bare.UID, key, false},
			{org.UID, bare.UID, "", false},
			{"nonexistent", c.UID, key, false},
		} {
			if got, err := st.PhotoNamed(ctx, tc.org, tc.client, tc.key); err != nil || got != tc.want {
				t.Errorf("PhotoNamed(%s, %s, %s) = %v, %v; want %v", tc.org, tc.client, tc.key, got, err, tc.want)
			}
		}
		if _, err := st.DeleteClient(ctx, org.ID, c.UID); err != nil {
			t.Fatal(err)
		}
		if got, err := st.PhotoNamed(ctx, org.UID, c.UID, key); err != nil || got {
			t.Errorf("after delete: PhotoNamed = %v, %v; want false", got, err)
		}
	})
}
