-- +goose Up
-- clients_org_email_uid served lists in email order, keyset on (email_key,
-- uid). email_key is unique in an organization (clients_org_email), so
-- that index gives the same order: SQLite knows a unique index needs no
-- tie-breaker, and PostgreSQL walks it under an incremental sort of one
-- client per key, with the keyset's email_key as the index's bound. The
-- index only cost every create and every email change (about a tenth of
-- PostgreSQL's CPU for a client's row, measured).
DROP INDEX clients_org_email_uid;

-- +goose Down
CREATE INDEX clients_org_email_uid ON clients (org_id, email_key, uid);
