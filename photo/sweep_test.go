package photo_test

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"slices"
	"testing"
	"time"

	"roster"
	"roster/clocktest"
	"roster/photo"
	"roster/photo/phototest"
	"roster/store"
	"roster/store/storetest"
)

// The sweep deletes, a bounded batch a pass, the blobs no client names and
// that are older than the grace period, and nothing else: on both engines
// and both blob stores.
func TestSweep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		eachStore(t, func(t *testing.T, b blobStore) {
			ctx := context.Background()
			org := storetest.NewOrg(t, st, "Pro")
			const grace = time.Hour
			base := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)
			old, young := base, base.Add(grace)
			now := base.Add(grace + time.Minute) // young is a minute old, old is past the grace period

			newClient := func(photoKey string) *roster.Client {
				c := &roster.Client{UID: roster.NewUID(base), CreatedBy: org.OwnerUID, CreatedAt: base, UpdatedAt: base,
					ClientFields: roster.ClientFields{Email: roster.NewUID(base) + "@example.com", DisplayName: "C"},
					ProfilePhoto: photoKey}
				if err := st.CreateClient(ctx, org.ID, c); err != nil {
					t.Fatal(err)
				}
				return c
			}
			put := func(key string, when time.Time) {
				b.putAt(t, key, []byte("x"), when)
			}

			// Kept: a client's photo and thumbnail, even old ones.
			kept := newClient("")
			keptKey := photo.NewKey(org.UID, kept.UID, "jpg")
			if _, err := st.UpdateClient(ctx, org.ID, kept.UID, roster.ClientUpdate{Photo: &keptKey}); err != nil {
				t.Fatal(err)
			}
			put(keptKey, old)
			put(photo.ThumbnailKey(keptKey), old)
			// Swept: the photo it had before (a delete that failed).
			replaced := photo.NewKey(org.UID, kept.UID, "jpg")
			put(replaced, old)
			put(photo.ThumbnailKey(replaced), old)
			// Swept: a crash between the blobs' Put and the commit.
			crashed := photo.NewKey(org.UID, roster.NewUID(base), "png")
			put(crashed, old)
			put(photo.ThumbnailKey(crashed), old)
			// Swept: a photo with the key of another organization's client.
			other := storetest.NewOrg(t, st, "Pro")
			stolen := photo.NewKey(other.UID, kept.UID, "jpg")
			put(stolen, old)
			// Swept: a temporary file a crash left.
			put(org.UID+"/.tmp-123456", old)
			// Kept: an upload in flight, whose client is not committed yet.
			inFlight := photo.NewKey(org.UID, roster.NewUID(base), "jpg")
			put(inFlight, young)
			put(photo.ThumbnailKey(inFlight), young)
			// Kept: what Roster did not write.
			put("README.txt", old)
			put(org.UID+"/notes.jpg", old)

			const batch = 3
			sweeper := photo.NewSweeper(b, st.PhotoNamed, photo.SweepConfig{Grace: grace, Batch: batch,
				Now: func() time.Time { return now }})
			total := 0
			for range 5 { // 12 blobs, 3 a pass, and a pass that finds the end
				n, err := sweeper.Pass(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n > batch {
					t.Fatalf("a pass deleted %d blobs, more than its batch of %d", n, batch)
				}
				total += n
			}
			want := []string{keptKey, photo.ThumbnailKey(keptKey), inFlight, photo.ThumbnailKey(inFlight),
				"README.txt", org.UID + "/notes.jpg"}
			if got := phototest.Keys(t, b); !slices.Equal(got, slices.Sorted(slices.Values(want))) || total != 6 {
				t.Fatalf("after the sweep: %d deleted, left %q; want 6 deleted, left %q", total, got, want)
			}
			for _, gone := range []string{replaced, crashed, stolen} {
				if _, err := b.Open(ctx, gone); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s: %v, want it swept", gone, err)
				}
			}

			// Past the grace period the commit that never came is given up on.
			now = now.Add(grace)
			for range 3 {
				if _, err := sweeper.Pass(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if got := phototest.Keys(t, b); len(got) != 4 || slices.Contains(got, inFlight) || !slices.Contains(got, keptKey) {
				t.Fatalf("after the grace period: left %q", got)
			}
		})
	})
}

// Run sweeps at once, then at each tick, and returns when its context ends.
func TestSweepRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		root := t.TempDir()
		d, err := photo.NewDir(root)
		if err != nil {
			t.Fatal(err)
		}
		b := blobStore{Blobs: d, root: root}
		org := storetest.NewOrg(t, st, "Pro")
		old := time.Now().Add(-48 * time.Hour)
		b.putAt(t, photo.NewKey(org.UID, roster.NewUID(old), "jpg"), []byte("x"), old)
		sweeper := photo.NewSweeper(d, st.PhotoNamed, photo.SweepConfig{Grace: time.Hour, Batch: 10, Now: time.Now})
		ctx, cancel := context.WithCancel(context.Background())
		ticks, done := make(chan time.Time), make(chan struct{})
		go func() { defer close(done); sweeper.Run(ctx, ticks, discard) }()

		clocktest.Eventually(t, "the first pass", func() bool { return len(phototest.Keys(t, d)) == 0 })
		b.putAt(t, photo.NewKey(org.UID, roster.NewUID(old), "png"), []byte("x"), old)
		ticks <- time.Now() // taken only once the first pass is over
		clocktest.Eventually(t, "the pass of a tick", func() bool { return len(phototest.Keys(t, d)) == 0 })
		cancel()
		<-done
	})
}

var discard = slog.New(slog.DiscardHandler)
