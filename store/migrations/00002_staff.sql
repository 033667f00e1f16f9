-- +goose Up
-- Sign-in, invitations, mail and analysis sessions. Hashes only: no
-- password, refresh token or API key secret is ever stored as given.
ALTER TABLE accounts ADD COLUMN password_hash TEXT; -- argon2id, PHC string; NULL: no password set

-- A sign-in session holds the hash of its current refresh token and of the
-- one before it: presenting the previous one again means the token was
-- copied, and ends the session.
CREATE TABLE sign_in_sessions (
    id            {{id}},
    uid           {{bytewise_text}} NOT NULL UNIQUE,
    account_id    {{bigint}} NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    refresh_hash  {{blob}} NOT NULL UNIQUE,
    previous_hash {{blob}},
    created_at    {{time}} NOT NULL,
    refreshed_at  {{time}} NOT NULL,
    expires_at    {{time}} NOT NULL,
    revoked_at    {{time}},
    remote_addr   TEXT NOT NULL,
    user_agent    TEXT NOT NULL
);
CREATE INDEX sign_in_sessions_account ON sign_in_sessions (account_id);
CREATE INDEX sign_in_sessions_previous ON sign_in_sessions (previous_hash);

-- Failed sign-ins per account or address ("account:<email key>",
-- "addr:<ip>"), shared by every process.
CREATE TABLE sign_in_failures (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    last_at       {{time}} NOT NULL,
    blocked_until {{time}} NOT NULL
);
CREATE INDEX sign_in_failures_last ON sign_in_failures (last_at);

CREATE TABLE invitations (
    id                {{id}},
    token             TEXT NOT NULL UNIQUE,
    org_id            {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    inviter_id        {{bigint}} NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    invitee_email     TEXT NOT NULL,
    invitee_email_key TEXT NOT NULL,
    status            TEXT NOT NULL, -- pending, accepted, declined, expired
    platform_link     TEXT,
    created_at        {{time}} NOT NULL,
    expires_at        {{time}} NOT NULL,
    responded_at      {{time}}
);
-- One pending invitation per organization and email.
CREATE UNIQUE INDEX invitations_org_pending ON invitations (org_id, invitee_email_key) WHERE status = 'pending';
CREATE INDEX invitations_org ON invitations (org_id, id);
CREATE INDEX invitations_invitee ON invitations (invitee_email_key, id);

-- Mail waiting to be sent, written in the transaction that caused it. A
-- sender leases a message before sending so that two processes never send
-- the same one at once.
CREATE TABLE outbox (
    id              {{id}},
    message_id      TEXT NOT NULL UNIQUE,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      {{time}} NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{time}} NOT NULL,
    lease_until     {{time}},
    sent_at         {{time}},
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

CREATE TABLE analysis_sessions (
    id         {{id}},
    uid        {{bytewise_text}} NOT NULL,
    org_id     {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id  {{bigint}} NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    activity   TEXT NOT NULL,
    started_at {{time}} NOT NULL,
    duration   {{double}} NOT NULL,
    metrics    TEXT,
    created_by TEXT NOT NULL,
    created_at {{time}} NOT NULL
);
-- uid is time-ordered: (org_id, client_id, uid) is a client's keyset order.
CREATE UNIQUE INDEX analysis_sessions_client ON analysis_sessions (org_id, client_id, uid);
