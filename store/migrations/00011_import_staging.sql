-- +goose Up
-- Imports that do not stop the world: an import writes its rows into
-- clients in short transactions, each its own commit, so that other writes
-- go on between them; the rows stay hidden behind their import until one
-- short transaction publishes it with its counters.

-- One import in progress, or published and not yet tidied. state is
-- 'staging' while rows are written (renewed_at is renewed by each chunk: an
-- import whose process died stops renewing it and is swept), 'failed' while
-- its rows are being removed, 'published' while import_id is being cleared
-- from its rows, which are visible from the moment it is published.
CREATE TABLE client_imports (
    id         {{id}},
    org_id     {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    renewed_at {{time}} NOT NULL
);

-- NULL for every client but those of an import not yet tidied; the index
-- holds only those few, for the import to find its rows again.
ALTER TABLE clients ADD COLUMN import_id {{bigint}};
CREATE INDEX clients_import ON clients (import_id) WHERE import_id IS NOT NULL;

-- +goose Down
-- Without import_id, an unpublished import's rows would show: they go, with
-- their audit entries, as a failed import's do.
DELETE FROM audit_log WHERE action = 'client.import' AND object_uid IN (SELECT uid FROM clients
    WHERE import_id IN (SELECT id FROM client_imports WHERE state <> 'published'));
DELETE FROM clients WHERE import_id IN (SELECT id FROM client_imports WHERE state <> 'published');
DROP INDEX clients_import;
ALTER TABLE clients DROP COLUMN import_id;
DROP TABLE client_imports;
