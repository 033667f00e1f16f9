package store

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"roster"
	"roster/clocktest"
)

// CachesAPIKey reports whether the auth cache serves the key keyID.
func (s *Store) CachesAPIKey(keyID string) bool {
	_, ok := s.caches.auth.Get(apiKeyEntry(keyID), s.now())
	return ok
}

// CachesSignInSession reports whether the auth cache serves the session.
func (s *Store) CachesSignInSession(uid string) bool {
	_, ok := s.caches.auth.Get(signInSessionEntry(uid), s.now())
	return ok
}

// AwaitAuthCache waits until the auth cache serves: on PostgreSQL, once
// its listener listens.
func (s *Store) AwaitAuthCache(t testing.TB) {
	t.Helper()
	if s.caches.listener != nil {
		s.caches.listener.start()
	}
	clocktest.Eventually(t, "the auth cache to serve", s.caches.auth.Serving)
}

// Now is the store's time.
func (s *Store) Now() time.Time { return s.now() }

// CachesClient reports whether the client cache serves the client uid.
func (s *Store) CachesClient(uid string) bool {
	_, ok := s.caches.clients.Get(uid, s.now())
	return ok
}

// ClientFromDatabase reads a client as Client does, past the cache.
func (s *Store) ClientFromDatabase(ctx context.Context, org roster.OrgID, uid string) (roster.Client, error) {
	var c roster.Client
	err := scanClient(s.queryRow(ctx, clientByUID, org, uid), &c)
	if errors.Is(err, sql.ErrNoRows) {
		return c, roster.ErrClientNotFound
	}
	return c, err
}

// ClientCacheLen is how many clients the client cache holds.
func (s *Store) ClientCacheLen() int { return s.caches.clients.Len() }

// ClientCacheBudget is the most that the client cache's clients may cost.
const ClientCacheBudget = clientCacheBudget

// ChannelsForTest are the SQL of the notification channels: credentials'
// and clients'.
const ChannelsForTest = authChannel + `, ` + clientsChannel
