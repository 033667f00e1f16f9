-- +goose Up
-- Account lifecycle: deactivation, session limits, external ids, richer
-- listing and the audit log.
ALTER TABLE accounts ADD COLUMN deactivated_at {{time}};   -- NULL: active
-- An email is verified when its owner proved they read it: only then may
-- the account answer invitations to it. Accounts made before this are
-- taken as verified when they have no password: an operator or an identity
-- provider made them.
ALTER TABLE accounts ADD COLUMN email_verified_at {{time}};
UPDATE accounts SET email_verified_at = created_at WHERE password_hash IS NULL;
CREATE TABLE email_verifications (
    token_hash {{blob}} PRIMARY KEY,
    account_id {{bigint}} NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email_key  TEXT NOT NULL,
    expires_at {{time}} NOT NULL
);
CREATE INDEX email_verifications_account ON email_verifications (account_id);

-- Force logout refuses the identity provider's tokens issued before it.
ALTER TABLE accounts ADD COLUMN tokens_valid_after {{time}};
ALTER TABLE accounts ADD COLUMN sessions_limit {{bigint}}; -- NULL: unlimited

-- An API key opens the organization it was made in, and no other: an
-- account that leaves and joins another organization keeps no key to it.
ALTER TABLE api_keys ADD COLUMN org_id {{bigint}} REFERENCES organizations (id) ON DELETE CASCADE;
UPDATE api_keys SET org_id = (SELECT org_id FROM memberships WHERE memberships.account_id = api_keys.account_id);

ALTER TABLE clients ADD COLUMN external_id {{bytewise_text}};
ALTER TABLE clients ADD COLUMN deactivated_at {{time}};
ALTER TABLE clients ADD COLUMN sessions_limit {{bigint}};
ALTER TABLE clients ADD COLUMN sessions_count {{bigint}} NOT NULL DEFAULT 0;
-- name_key is the lower-cased display name, computed in Go like email_key,
-- so that both engines sort and search names alike.
ALTER TABLE clients ADD COLUMN name_key {{bytewise_text}} NOT NULL DEFAULT '';
UPDATE clients SET name_key = lower(display_name);
{{- if postgres}}
-- Lists sort by email_key too: bytewise, whatever the database's
-- collation. SQLite compares text bytewise already.
ALTER TABLE clients ALTER COLUMN email_key TYPE {{bytewise_text}};
{{- end}}
CREATE UNIQUE INDEX clients_org_external ON clients (org_id, external_id);
-- An account finds the client profiles with its email in every organization.
CREATE INDEX clients_email ON clients (email_key);
CREATE INDEX clients_org_name ON clients (org_id, name_key, uid);
CREATE INDEX clients_org_email_uid ON clients (org_id, email_key, uid);
CREATE INDEX clients_org_sessions_count ON clients (org_id, sessions_count, uid);
CREATE INDEX clients_org_deactivated ON clients (org_id, deactivated_at, uid);

-- Every change made by staff, an API key or an account itself, written in
-- the transaction of the change. fields lists the names of the fields
-- changed, never their values, so that no secret can reach the log.
CREATE TABLE audit_log (
    id          {{id}},
    org_id      {{bigint}} REFERENCES organizations (id) ON DELETE CASCADE, -- NULL: an account's own change outside any organization
    at          {{time}} NOT NULL,
    actor_uid   TEXT NOT NULL,
    actor_kind  TEXT NOT NULL, -- token, api_key or operator
    actor_key   TEXT NOT NULL DEFAULT '', -- the API key's public id, for api_key
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_uid  TEXT NOT NULL,
    fields      TEXT NOT NULL DEFAULT '[]',
    remote_addr TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_org ON audit_log (org_id, id);
CREATE INDEX audit_log_org_object ON audit_log (org_id, object_uid, id);
CREATE INDEX audit_log_org_actor ON audit_log (org_id, actor_uid, id);
