package store

import (
	"testing"
	"time"

	"roster/clocktest"
)

// CachesAPIKey reports whether the auth cache serves the key keyID.
func (s *Store) CachesAPIKey(keyID string) bool {
	_, ok := s.auth.cache.Get(apiKeyEntry(keyID), s.now())
	return ok
}

// CachesSignInSession reports whether the auth cache serves the session.
func (s *Store) CachesSignInSession(uid string) bool {
	_, ok := s.auth.cache.Get(signInSessionEntry(uid), s.now())
	return ok
}

// AwaitAuthCache waits until the auth cache serves: on PostgreSQL, once
// its listener listens.
func (s *Store) AwaitAuthCache(t testing.TB) {
	t.Helper()
	if s.auth.listener != nil {
		s.auth.listener.start()
	}
	clocktest.Eventually(t, "the auth cache to serve", s.auth.cache.Serving)
}

// Now is the store's time.
func (s *Store) Now() time.Time { return s.now() }
