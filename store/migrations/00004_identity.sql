-- +goose Up
-- Identity you can trust: a client gives its organization power over a
-- person's account only once the person consents; sign-up and password
-- reset prove the mailbox before they touch an account; abuse limits shared
-- by every process.

-- The account a client is linked to, by the person's consent. Only a
-- linked client lets its organization end the account's sessions, cap them,
-- and show the person their profile; an email match alone no longer does.
-- A table of its own rather than a column of clients: every index of
-- clients weighs on the planning of its hot reads.
CREATE TABLE client_links (
    client_id  {{bigint}} PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    account_id {{bigint}} NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE INDEX client_links_account ON client_links (account_id);

-- An organization's request that the person with a client's email link
-- their account to it. It is answered by that person, signed in with that
-- verified email; a change of the client's email voids it.
CREATE TABLE link_invitations (
    id            {{id}},
    uid           {{bytewise_text}} NOT NULL UNIQUE,
    org_id        {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id     {{bigint}} NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    email_key     TEXT NOT NULL,
    inviter_uid   TEXT NOT NULL,
    platform_link TEXT,
    created_at    {{time}} NOT NULL,
    expires_at    {{time}} NOT NULL
);
-- One open request per client: a new one replaces it.
CREATE UNIQUE INDEX link_invitations_client ON link_invitations (client_id);
CREATE INDEX link_invitations_email ON link_invitations (email_key);

-- Codes mailed to prove a mailbox: a sign-up waiting for its code (with
-- the password chosen, which whoever confirms must know, so that a victim
-- who clicks an attacker's sign-up link does not hand the attacker a
-- verified account), or a password reset. Only hashes are kept.
CREATE TABLE email_tokens (
    token_hash    {{blob}} PRIMARY KEY,
    purpose       TEXT NOT NULL, -- sign_up or password_reset
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL,
    account_id    {{bigint}} REFERENCES accounts (id) ON DELETE CASCADE, -- password_reset: the account
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at    {{time}} NOT NULL,
    expires_at    {{time}} NOT NULL
);
CREATE INDEX email_tokens_account ON email_tokens (account_id);
CREATE INDEX email_tokens_expires ON email_tokens (expires_at);
-- Sign-up codes now live in email_tokens, with the password they confirm;
-- a code mailed before is replaced by signing up again.
DROP TABLE email_verifications;

-- Fixed-window counters of the abuse limits (mail per address and per
-- client address, invitations per organization), shared by every process.
CREATE TABLE rate_limits (
    key      TEXT PRIMARY KEY,
    hits     {{bigint}} NOT NULL,
    reset_at {{time}} NOT NULL
);
CREATE INDEX rate_limits_reset ON rate_limits (reset_at);
