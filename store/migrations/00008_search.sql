-- +goose Up
-- Search that does not scan: a list's q finds its clients through a
-- trigram index of name_key and email_key, each engine's own. The LIKE of
-- the search is still checked on every client the index returns, so what
-- matches is what matched before (see searchCond in ../listing.go); the
-- index only says which clients may match. A search whose keys have fewer
-- than three characters has no trigram to look up, and walks the list.
{{- if postgres}}
-- pg_trgm's GIN operator class serves LIKE '%…%'. The extension belongs to
-- the database, not to the schema: it goes in public, where every schema's
-- users find it (a test's schema, dropped with its tables, must not take it
-- along), or in the current schema where there is no public. The lock
-- makes migrations of several schemas at once take turns to create it.
-- +goose StatementBegin
DO $$
DECLARE
    ext_schema name;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('roster: CREATE EXTENSION pg_trgm'));
    IF EXISTS (SELECT FROM pg_namespace WHERE nspname = 'public') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    ELSE
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    END IF;
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX clients_search_name ON clients USING gin (name_key %I.gin_trgm_ops)', ext_schema);
    EXECUTE format('CREATE INDEX clients_search_email ON clients USING gin (email_key %I.gin_trgm_ops)', ext_schema);
END
$$;
-- +goose StatementEnd
{{- else}}
-- An FTS5 table of the keys with the trigram tokenizer, its content read
-- from clients (external content: the keys are not stored twice). The
-- triggers keep it in step with every write to clients, whichever code
-- makes it: creates, updates, deletes (cascades from an organization
-- included), imports and the Go migrations that recompute keys.
-- columnsize=0: no per-row sizes, which only ranking would read.
CREATE VIRTUAL TABLE client_search USING fts5(name_key, email_key, content = 'clients', content_rowid = 'id',
    tokenize = 'trigram', columnsize = 0);
INSERT INTO client_search (client_search) VALUES ('rebuild');
-- +goose StatementBegin
CREATE TRIGGER client_search_insert AFTER INSERT ON clients BEGIN
    INSERT INTO client_search (rowid, name_key, email_key) VALUES (new.id, new.name_key, new.email_key);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_search_delete AFTER DELETE ON clients BEGIN
    INSERT INTO client_search (client_search, rowid, name_key, email_key)
        VALUES ('delete', old.id, old.name_key, old.email_key);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_search_update AFTER UPDATE OF name_key, email_key ON clients
    WHEN old.name_key IS NOT new.name_key OR old.email_key IS NOT new.email_key BEGIN
    INSERT INTO client_search (client_search, rowid, name_key, email_key)
        VALUES ('delete', old.id, old.name_key, old.email_key);
    INSERT INTO client_search (rowid, name_key, email_key) VALUES (new.id, new.name_key, new.email_key);
END;
-- +goose StatementEnd
{{- end}}

-- +goose Down
-- pg_trgm stays: other schemas of the database may use it.
{{- if postgres}}
DROP INDEX clients_search_name;
DROP INDEX clients_search_email;
{{- else}}
DROP TRIGGER client_search_insert;
DROP TRIGGER client_search_delete;
DROP TRIGGER client_search_update;
DROP TABLE client_search;
{{- end}}
