-- +goose Up
-- Coach assignments (issue 14, part 2). A staff member's scope says which
-- clients they see: 'all' of the organization's, or only those 'assigned'
-- to them (an Admin's; an Owner always sees all).
ALTER TABLE memberships ADD COLUMN scope TEXT NOT NULL DEFAULT 'all';

-- The coaches of each client, by the staff member's account uid (as
-- clients.created_by names the creator; an account is staff of one
-- organization at most, and leaving it drops its assignments). The
-- primary key answers whether a client is a coach's; client_coaches_coach
-- holds a coach's clients in uid order, the keyset order of the filter
-- page, which a scoped page and its count walk instead of the
-- organization's clients. client_uid is the client's, which never changes.
-- counted is whether the client is one the lists show and the counts
-- count, active and not of an unpublished import, kept by the triggers
-- below and by the import's publication: a coach's count is then read from
-- client_coaches_coach alone, without visiting the clients.
CREATE TABLE client_coaches (
    client_id  {{bigint}} NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    coach_uid  {{bytewise_text}} NOT NULL,
    client_uid {{bytewise_text}} NOT NULL,
    counted    BOOLEAN NOT NULL,
    PRIMARY KEY (client_id, coach_uid)
);
CREATE INDEX client_coaches_coach ON client_coaches (coach_uid, counted, client_uid);

-- A client an Admin creates is assigned to them, whichever way it is
-- created (the API, an import, SCIM, the console, a batch of creates), so
-- that narrowing the Admin's scope later keeps what they made in sight.
-- A trigger, like the search index's on SQLite, so no insert path can
-- forget it.
{{- if postgres}}
-- +goose StatementBegin
CREATE FUNCTION client_creator_coach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO client_coaches (client_id, coach_uid, client_uid, counted)
        SELECT NEW.id, NEW.created_by, NEW.uid, NEW.deactivated_at IS NULL AND NEW.import_id IS NULL
        FROM accounts a JOIN memberships m ON m.account_id = a.id
        WHERE a.uid = NEW.created_by AND m.org_id = NEW.org_id AND m.role = 'Admin';
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER client_creator_coach AFTER INSERT ON clients
    FOR EACH ROW EXECUTE FUNCTION client_creator_coach();
-- +goose StatementBegin
CREATE FUNCTION client_coaches_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE client_coaches SET counted = NEW.deactivated_at IS NULL AND (NEW.import_id IS NULL
            OR EXISTS (SELECT 1 FROM client_imports WHERE id = NEW.import_id AND state = 'published'))
        WHERE client_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER client_coaches_counted AFTER UPDATE OF deactivated_at ON clients
    FOR EACH ROW WHEN (OLD.deactivated_at IS DISTINCT FROM NEW.deactivated_at) EXECUTE FUNCTION client_coaches_counted();
{{- else}}
-- +goose StatementBegin
CREATE TRIGGER client_creator_coach AFTER INSERT ON clients BEGIN
    INSERT INTO client_coaches (client_id, coach_uid, client_uid, counted)
        SELECT new.id, new.created_by, new.uid, new.deactivated_at IS NULL AND new.import_id IS NULL
        FROM accounts a JOIN memberships m ON m.account_id = a.id
        WHERE a.uid = new.created_by AND m.org_id = new.org_id AND m.role = 'Admin';
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER client_coaches_counted AFTER UPDATE OF deactivated_at ON clients
    WHEN old.deactivated_at IS NOT new.deactivated_at BEGIN
    UPDATE client_coaches SET counted = new.deactivated_at IS NULL AND (new.import_id IS NULL
            OR EXISTS (SELECT 1 FROM client_imports WHERE id = new.import_id AND state = 'published'))
        WHERE client_id = new.id;
END;
-- +goose StatementEnd
{{- end}}

-- +goose Down
{{- if postgres}}
DROP TRIGGER client_coaches_counted ON clients;
DROP FUNCTION client_coaches_counted();
DROP TRIGGER client_creator_coach ON clients;
DROP FUNCTION client_creator_coach();
{{- else}}
DROP TRIGGER client_coaches_counted;
DROP TRIGGER client_creator_coach;
{{- end}}
DROP TABLE client_coaches;
ALTER TABLE memberships DROP COLUMN scope;
