package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"roster"
	"roster/keyring"
	"roster/store"
	"roster/store/storetest"
)

const secretName = "access_token_key"

func newSecret() string { return roster.NewSecret(43) }

func newRing(t *testing.T, keys ...string) *keyring.Ring {
	t.Helper()
	r, err := keyring.Parse(strings.Join(keys, ","))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// secret calls st.Secret and fails t on an error.
func secret(t *testing.T, st *store.Store, ring *keyring.Ring) string {
	t.Helper()
	v, err := st.Secret(context.Background(), ring, secretName, newSecret)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func stored(t *testing.T, st *store.Store) string {
	t.Helper()
	v, err := st.StoredSetting(context.Background(), secretName)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sealedUnder fails t unless the stored value opens to plain under the
// first key of ring.
func sealedUnder(t *testing.T, st *store.Store, ring *keyring.Ring, plain string) {
	t.Helper()
	v := stored(t, st)
	got, current, err := ring.Open(secretName, v)
	if err != nil || got != plain || !current {
		t.Errorf("stored %q opens to %q, current %v, %v; want the secret under key %s", v, got, current, err, ring.ID())
	}
	if strings.Contains(v, plain) {
		t.Errorf("stored %q contains the secret %q", v, plain)
	}
}

func TestSecretIsStoredSealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ring := newRing(t, keyring.NewKey())
		v := secret(t, st, ring)
		if len(v) != 43 {
			t.Fatalf("secret %q; want the generated 43 characters", v)
		}
		sealedUnder(t, st, ring, v)
		if again := secret(t, st, ring); again != v {
			t.Errorf("second read %q; want %q", again, v)
		}
	})
}

// TestSecretSharedByConcurrentStarts: two processes on one database with
// the same key, starting at once, end with one secret, whether the database
// is new or holds a plain value from before sealing.
func TestSecretSharedByConcurrentStarts(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		dir, url := t.TempDir(), storetest.DatabaseURL(t, engine)
		var stores [2]*store.Store
		for i := range stores {
			stores[i] = storetest.OpenAt(t, dir, url)
			defer stores[i].Close()
		}
		ring := newRing(t, keyring.NewKey())
		startBoth := func() [2]string {
			var got [2]string
			var errs [2]error
			var wg sync.WaitGroup
			for i, st := range stores {
				wg.Go(func() { got[i], errs[i] = st.Secret(context.Background(), ring, secretName, newSecret) })
			}
			wg.Wait()
			if err := errors.Join(errs[:]...); err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := startBoth(); got[0] != got[1] {
			t.Errorf("new database: the processes got %q and %q", got[0], got[1])
		}
		const legacy = "PlainSecretFromBeforeSealingXXXXXXXXXXXXXX"
		if err := stores[0].StoreSetting(context.Background(), secretName, legacy); err != nil {
			t.Fatal(err)
		}
		if got := startBoth(); got[0] != legacy || got[1] != legacy {
			t.Errorf("plain value: the processes got %q and %q; want %q", got[0], got[1], legacy)
		}
		sealedUnder(t, stores[0], ring, legacy)
	})
}

// TestSecretSealsPlainValue: a database from before sealing keeps its
// secret, so that tokens and photo links issued before the upgrade still
// verify, and from then on stores it sealed.
func TestSecretSealsPlainValue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		const legacy = "PlainSecretFromBeforeSealingXXXXXXXXXXXXXX"
		if err := st.StoreSetting(context.Background(), secretName, legacy); err != nil {
			t.Fatal(err)
		}
		ring := newRing(t, keyring.NewKey())
		if v := secret(t, st, ring); v != legacy {
			t.Fatalf("secret %q; want the stored %q", v, legacy)
		}
		sealedUnder(t, st, ring, legacy)
		if v := secret(t, st, ring); v != legacy {
			t.Errorf("after sealing: secret %q; want %q", v, legacy)
		}
	})
}

func TestSecretRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		oldKey, newKey := keyring.NewKey(), keyring.NewKey()
		old := newRing(t, oldKey)
		v := secret(t, st, old)
		rotating := newRing(t, newKey, oldKey)
		if got := secret(t, st, rotating); got != v {
			t.Fatalf("during rotation: secret %q; want %q", got, v)
		}
		// Once every process has started with "new,old", new alone suffices.
		sealedUnder(t, st, newRing(t, newKey), v)
		if got := secret(t, st, newRing(t, newKey)); got != v {
			t.Errorf("new key alone: secret %q; want %q", got, v)
		}
		if _, err := st.Secret(context.Background(), old, secretName, newSecret); !errors.Is(err, keyring.ErrUnknownKey) {
			t.Errorf("old key alone after rotation: %v; want ErrUnknownKey", err)
		}
	})
}

// TestSecretRefusesWrongKeyAndTampering: a process that cannot open the
// stored value fails, and leaves it as it was for the processes that can.
func TestSecretRefusesWrongKeyAndTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ring := newRing(t, keyring.NewKey())
		secret(t, st, ring)
		before := stored(t, st)
		_, err := st.Secret(context.Background(), newRing(t, keyring.NewKey()), secretName, newSecret)
		if !errors.Is(err, keyring.ErrUnknownKey) || !strings.Contains(err.Error(), secretName) {
			t.Errorf("wrong key: %v; want ErrUnknownKey naming %s", err, secretName)
		}
		if after := stored(t, st); after != before {
			t.Errorf("a wrong key changed the stored value from %q to %q", before, after)
		}

		// Change one character of the ciphertext, keeping it base64.
		i := strings.LastIndexByte(before, ':') + 1
		c := byte('A')
		if before[i] == c {
			c = 'B'
		}
		tampered := before[:i] + string(c) + before[i+1:]
		if err := st.StoreSetting(context.Background(), secretName, tampered); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Secret(context.Background(), ring, secretName, newSecret); !errors.Is(err, keyring.ErrTampered) {
			t.Errorf("tampered value: %v; want ErrTampered", err)
		}
		if after := stored(t, st); after != tampered {
			t.Errorf("a tampered value was overwritten with %q", after)
		}
	})
}
