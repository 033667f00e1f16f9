-- +goose Up
-- Coach assignments (issue 14, part 2). A staff member's scope says which
-- clients they see: 'all' of the organization's, or only those 'assigned'
-- to them (an Admin's; an Owner always sees all).
ALTER TABLE memberships ADD COLUMN scope TEXT NOT NULL DEFAULT 'all';

-- The coaches of each client, by the staff member's account uid (as
-- clients.created_by names the creator). The primary key serves a
-- client's coaches; client_coaches_coach serves a coach's clients: the
-- scope's EXISTS and the coach_uid filter probe it, and a scoped count
-- walks only the coach's rows of it.
CREATE TABLE client_coaches (
    client_id {{bigint}} NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    coach_uid {{bytewise_text}} NOT NULL,
    org_id    {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    PRIMARY KEY (client_id, coach_uid)
);
CREATE INDEX client_coaches_coach ON client_coaches (org_id, coach_uid, client_id);

-- A client an Admin creates is assigned to them, whichever way it is
-- created (the API, an import, SCIM, the console, a batch of creates), so
-- that narrowing the Admin's scope later keeps what they made in sight.
-- A trigger, like the search index's on SQLite, so no insert path can
-- forget it.
{{- if postgres}}
-- +goose StatementBegin
CREATE FUNCTION client_creator_coach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO client_coaches (client_id, coach_uid, org_id)
        SELECT NEW.id, NEW.created_by, NEW.org_id
        FROM accounts a JOIN memberships m ON m.account_id = a.id
        WHERE a.uid = NEW.created_by AND m.org_id = NEW.org_id AND m.role = 'Admin';
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER client_creator_coach AFTER INSERT ON clients
    FOR EACH ROW EXECUTE FUNCTION client_creator_coach();
{{- else}}
-- +goose StatementBegin
CREATE TRIGGER client_creator_coach AFTER INSERT ON clients BEGIN
    INSERT INTO client_coaches (client_id, coach_uid, org_id)
        SELECT new.id, new.created_by, new.org_id
        FROM accounts a JOIN memberships m ON m.account_id = a.id
        WHERE a.uid = new.created_by AND m.org_id = new.org_id AND m.role = 'Admin';
END;
-- +goose StatementEnd
{{- end}}

-- +goose Down
{{- if postgres}}
DROP TRIGGER client_creator_coach ON clients;
DROP FUNCTION client_creator_coach();
{{- else}}
DROP TRIGGER client_creator_coach;
{{- end}}
DROP TABLE client_coaches;
ALTER TABLE memberships DROP COLUMN scope;
