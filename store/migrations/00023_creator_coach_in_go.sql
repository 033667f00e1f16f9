-- +goose Up
-- The clients an Admin creates are assigned to them by the store, in the
-- statements that write the clients (store/coaches.go, createdAssignments),
-- no longer by a trigger: the trigger looked the creator's membership up
-- for every row inserted, whoever created it, and on SQLite was compiled
-- again with every multi-row INSERT of a new size. The store knows the
-- caller's role without a look-up.
{{- if postgres}}
DROP TRIGGER client_creator_coach ON clients;
DROP FUNCTION client_creator_coach();
{{- else}}
DROP TRIGGER client_creator_coach;
{{- end}}

-- +goose Down
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
{{- else}}
-- +goose StatementBegin
CREATE TRIGGER client_creator_coach AFTER INSERT ON clients BEGIN
    INSERT INTO client_coaches (client_id, coach_uid, client_uid, counted)
        SELECT new.id, new.created_by, new.uid, new.deactivated_at IS NULL AND new.import_id IS NULL
        FROM accounts a JOIN memberships m ON m.account_id = a.id
        WHERE a.uid = new.created_by AND m.org_id = new.org_id AND m.role = 'Admin';
END;
-- +goose StatementEnd
{{- end}}
