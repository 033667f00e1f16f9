-- +goose Up
-- One file for both engines: renderMigrations (../migrate.go) writes the
-- column types in braces as each engine spells them. uids are
-- bytewise_text: they sort in creation order.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE organizations (
    id             {{id}},
    uid            {{bytewise_text}} NOT NULL UNIQUE,
    company_name   TEXT NOT NULL,
    payment_type   TEXT NOT NULL,
    session_number {{bigint}} NOT NULL DEFAULT 0,
    activities     TEXT NOT NULL DEFAULT '[]',
    client_limit   {{bigint}} NOT NULL DEFAULT 0, -- 0: unlimited
    client_count   {{bigint}} NOT NULL DEFAULT 0, -- kept in step with clients so that totals never scan
    created_at     {{time}} NOT NULL
);

CREATE TABLE accounts (
    id           {{id}},
    uid          {{bytewise_text}} NOT NULL UNIQUE,
    email        TEXT NOT NULL,
    email_key    TEXT NOT NULL UNIQUE, -- roster.EmailKey(email): case-insensitive on both engines alike
    display_name TEXT NOT NULL,
    created_at   {{time}} NOT NULL
);

-- The primary key makes an account staff of at most one organization.
CREATE TABLE memberships (
    account_id {{bigint}} PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    org_id     {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at {{time}} NOT NULL
);
CREATE INDEX memberships_org ON memberships (org_id);

CREATE TABLE api_keys (
    id           {{id}},
    key_id       TEXT NOT NULL UNIQUE,
    secret_hash  {{blob}} NOT NULL,
    account_id   {{bigint}} NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    created_at   {{time}} NOT NULL,
    last_used_at {{time}},
    revoked_at   {{time}}
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE clients (
    id                    {{id}},
    org_id                {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    uid                   {{bytewise_text}} NOT NULL,
    created_by            TEXT NOT NULL,
    email                 TEXT NOT NULL,
    email_key             TEXT NOT NULL,
    display_name          TEXT NOT NULL,
    phone                 TEXT,
    age                   INTEGER,
    gender                TEXT,
    height                {{double}},
    weight                {{double}},
    ycom                  {{double}},
    leg_length            {{double}},
    shoe_size             {{double}},
    brand                 TEXT,
    shoe_model            TEXT,
    preferable_activities TEXT NOT NULL DEFAULT '[]',
    profile_photo         TEXT,
    note_text             TEXT,
    note_updated_at       {{time}},
    last_session          {{time}},
    created_at            {{time}} NOT NULL,
    updated_at            {{time}} NOT NULL
);
-- Every index leads with org_id: each query is scoped to one organization.
-- uid is time-ordered, so (org_id, uid) is also the keyset order of lists.
CREATE UNIQUE INDEX clients_org_uid ON clients (org_id, uid);
-- email_key is the lower-cased email, computed in Go: SQLite's lower() folds
-- ASCII only, so the two engines would disagree on "ZOË" and "zoë".
CREATE UNIQUE INDEX clients_org_email ON clients (org_id, email_key);
CREATE INDEX clients_org_creator ON clients (org_id, created_by, uid);
CREATE INDEX clients_org_gender ON clients (org_id, gender, uid);
CREATE INDEX clients_org_last_session ON clients (org_id, last_session, uid);

-- One row per preferred activity: a filter page walks clients by
-- (org_id, uid) and checks each one's rows through the primary key.
CREATE TABLE client_activities (
    client_id {{bigint}} NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    activity  TEXT NOT NULL,
    PRIMARY KEY (client_id, activity)
);

-- Clients per organization and gender, activity or creating admin, kept in
-- step with clients, so that the count of a filter on one of them does not
-- scan. Transactions update these rows in (dim, value) order, before the
-- organization's row, so that they never wait on each other in a cycle.
CREATE TABLE client_counts (
    org_id {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    dim    TEXT NOT NULL,
    value  TEXT NOT NULL,
    n      {{bigint}} NOT NULL,
    PRIMARY KEY (org_id, dim, value)
);
