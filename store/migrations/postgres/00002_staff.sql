-- +goose Up
-- Sign-in, invitations, mail and analysis sessions. Hashes only: no
-- password, refresh token or API key secret is ever stored as given.
ALTER TABLE accounts ADD COLUMN password_hash TEXT; -- argon2id, PHC string; NULL: no password set

-- A sign-in session holds the hash of its current refresh token and of the
-- one before it: presenting the previous one again means the token was
-- copied, and ends the session.
CREATE TABLE sign_in_sessions (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uid           TEXT COLLATE "C" NOT NULL UNIQUE,
    account_id    BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    refresh_hash  BYTEA NOT NULL UNIQUE,
    previous_hash BYTEA,
    created_at    TIMESTAMPTZ NOT NULL,
    refreshed_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ,
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
    last_at       TIMESTAMPTZ NOT NULL,
    blocked_until TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_last ON sign_in_failures (last_at);

CREATE TABLE invitations (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token             TEXT NOT NULL UNIQUE,
    org_id            BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    inviter_id        BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    invitee_email     TEXT NOT NULL,
    invitee_email_key TEXT NOT NULL,
    status            TEXT NOT NULL, -- pending, accepted, declined, expired
    platform_link     TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    responded_at      TIMESTAMPTZ
);
-- One pending invitation per organization and email.
CREATE UNIQUE INDEX invitations_org_pending ON invitations (org_id, invitee_email_key) WHERE status = 'pending';
CREATE INDEX invitations_org ON invitations (org_id, id);
CREATE INDEX invitations_invitee ON invitations (invitee_email_key, id);

-- Mail waiting to be sent, written in the transaction that caused it. A
-- sender leases a message before sending so that two processes never send
-- the same one at once.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      TEXT NOT NULL UNIQUE,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_until     TIMESTAMPTZ,
    sent_at         TIMESTAMPTZ,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

CREATE TABLE analysis_sessions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uid        TEXT COLLATE "C" NOT NULL,
    org_id     BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id  BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    activity   TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    duration   DOUBLE PRECISION NOT NULL,
    metrics    TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
-- uid is time-ordered: (org_id, client_id, uid) is a client's keyset order.
CREATE UNIQUE INDEX analysis_sessions_client ON analysis_sessions (org_id, client_id, uid);

-- +goose Down
DROP TABLE analysis_sessions;
DROP TABLE outbox;
DROP TABLE invitations;
DROP TABLE sign_in_failures;
DROP TABLE sign_in_sessions;
ALTER TABLE accounts DROP COLUMN password_hash;
