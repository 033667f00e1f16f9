-- +goose Up
-- A filter page of one activity with ranges (issue 14) walked the
-- organization's clients newest first and looked up each one's row to
-- test the ranges and its activity rows to test the activity: about 160
-- clients for a page of five when a fortieth match. Each activity row now
-- carries what that page tests, so that the page walks the activity's
-- rows in uid order along client_activities_walk, tests the client on the
-- index alone, and looks up only the clients it returns: the client's
-- organization and uid, whether it is deactivated, its import (as visible
-- tests it) and the range fields' values. The store writes them with the
-- rows (insertActivityPairs, from the client's row) and the trigger below
-- keeps them when the client's row changes, so that no write path can
-- forget them. Rebuilt rather than altered: SQLite adds a NOT NULL column
-- only with a default.
CREATE TABLE client_activities_new (
    client_id   {{bigint}} NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    activity    TEXT NOT NULL,
    org_id      {{bigint}} NOT NULL,
    client_uid  {{bytewise_text}} NOT NULL,
    deactivated BOOLEAN NOT NULL,
    import_id   {{bigint}},
    age         INTEGER,
    height      {{double}},
    weight      {{double}},
    shoe_size   {{double}},
    PRIMARY KEY (client_id, activity)
);
INSERT INTO client_activities_new
    SELECT a.client_id, a.activity, c.org_id, c.uid, c.deactivated_at IS NOT NULL, c.import_id, c.age, c.height, c.weight, c.shoe_size
    FROM client_activities a JOIN clients c ON c.id = a.client_id;
DROP TABLE client_activities;
ALTER TABLE client_activities_new RENAME TO client_activities;
{{- if postgres}}
ALTER TABLE client_activities RENAME CONSTRAINT client_activities_new_pkey TO client_activities_pkey;
ALTER TABLE client_activities RENAME CONSTRAINT client_activities_new_client_id_fkey TO client_activities_client_id_fkey;
{{- end}}
CREATE INDEX client_activities_walk ON client_activities
    (org_id, activity, deactivated, client_uid, import_id, age, height, weight, shoe_size, client_id);

{{- if postgres}}
-- +goose StatementBegin
CREATE FUNCTION client_activities_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE client_activities SET deactivated = NEW.deactivated_at IS NOT NULL, import_id = NEW.import_id,
            age = NEW.age, height = NEW.height, weight = NEW.weight, shoe_size = NEW.shoe_size
        WHERE client_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER client_activities_follow AFTER UPDATE OF deactivated_at, import_id, age, height, weight, shoe_size ON clients
    FOR EACH ROW WHEN ((OLD.deactivated_at IS NULL) IS DISTINCT FROM (NEW.deactivated_at IS NULL)
        OR OLD.import_id IS DISTINCT FROM NEW.import_id OR OLD.age IS DISTINCT FROM NEW.age
        OR OLD.height IS DISTINCT FROM NEW.height OR OLD.weight IS DISTINCT FROM NEW.weight
        OR OLD.shoe_size IS DISTINCT FROM NEW.shoe_size)
    EXECUTE FUNCTION client_activities_follow();
{{- else}}
-- +goose StatementBegin
CREATE TRIGGER client_activities_follow AFTER UPDATE OF deactivated_at, import_id, age, height, weight, shoe_size ON clients
    WHEN (old.deactivated_at IS NULL) IS NOT (new.deactivated_at IS NULL)
        OR old.import_id IS NOT new.import_id OR old.age IS NOT new.age
        OR old.height IS NOT new.height OR old.weight IS NOT new.weight
        OR old.shoe_size IS NOT new.shoe_size BEGIN
    UPDATE client_activities SET deactivated = new.deactivated_at IS NOT NULL, import_id = new.import_id,
            age = new.age, height = new.height, weight = new.weight, shoe_size = new.shoe_size
        WHERE client_id = new.id;
END;
-- +goose StatementEnd
{{- end}}

-- +goose Down
{{- if postgres}}
DROP TRIGGER client_activities_follow ON clients;
DROP FUNCTION client_activities_follow();
{{- else}}
DROP TRIGGER client_activities_follow;
{{- end}}
CREATE TABLE client_activities_old (
    client_id {{bigint}} NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    activity  TEXT NOT NULL,
    PRIMARY KEY (client_id, activity)
);
INSERT INTO client_activities_old SELECT client_id, activity FROM client_activities;
DROP TABLE client_activities;
ALTER TABLE client_activities_old RENAME TO client_activities;
{{- if postgres}}
ALTER TABLE client_activities RENAME CONSTRAINT client_activities_old_pkey TO client_activities_pkey;
ALTER TABLE client_activities RENAME CONSTRAINT client_activities_old_client_id_fkey TO client_activities_client_id_fkey;
{{- end}}
