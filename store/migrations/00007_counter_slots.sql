-- +goose Up
-- Counters without a hot row. Every create used to update the
-- organization's row (client_count) and the same few client_counts rows,
-- so on PostgreSQL the creates of one organization queued on one row lock,
-- and every authenticated read joined a row with hundreds of dead
-- versions. Each counter is now split into slots: a transaction adds to
-- one slot chosen at random, a read sums the slots, and the
-- organization's row is only read. The organization's total is the
-- counter ('all', '').
CREATE TABLE client_count_slots (
    org_id {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    dim    TEXT NOT NULL,
    value  TEXT NOT NULL,
    slot   {{bigint}} NOT NULL,
    n      {{bigint}} NOT NULL,
    PRIMARY KEY (org_id, dim, value, slot)
);
INSERT INTO client_count_slots (org_id, dim, value, slot, n)
    SELECT org_id, dim, value, 0, n FROM client_counts;
INSERT INTO client_count_slots (org_id, dim, value, slot, n)
    SELECT id, 'all', '', 0, client_count FROM organizations WHERE client_count <> 0;
DROP TABLE client_counts;
ALTER TABLE organizations DROP COLUMN client_count;

-- +goose Down
-- Back to one row per counter and the total on the organization's row, for
-- a binary of schema 6: the slots are summed.
CREATE TABLE client_counts (
    org_id {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    dim    TEXT NOT NULL,
    value  TEXT NOT NULL,
    n      {{bigint}} NOT NULL,
    PRIMARY KEY (org_id, dim, value)
);
INSERT INTO client_counts (org_id, dim, value, n)
    SELECT org_id, dim, value, SUM(n) FROM client_count_slots WHERE dim <> 'all' GROUP BY org_id, dim, value;
ALTER TABLE organizations ADD COLUMN client_count {{bigint}} NOT NULL DEFAULT 0;
UPDATE organizations SET client_count = COALESCE(
    (SELECT SUM(n) FROM client_count_slots s WHERE s.org_id = organizations.id AND s.dim = 'all'), 0);
DROP TABLE client_count_slots;
