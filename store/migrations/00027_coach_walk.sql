-- +goose Up
-- A scoped Admin's page (and a coach_uid page) walks the coach's
-- assignments along client_coaches_coach. With an activity and ranges it
-- looked up each client walked to test them: about 200 clients for a page
-- of five when a fortieth of the coach's match. Each assignment now holds
-- what that page tests, as client_activities does for the organization's
-- pages (migration 26): the client's activities as a set of bits, one for
-- each of roster.Activities in its order (activityBits), and its range
-- fields' values, in the index, so that only the page's clients are
-- looked up. They are named apart from the clients' columns, which a
-- coach's page (coachJoin) names unqualified. The store writes them with
-- the assignment, from the client's rows, and again when the client's
-- activities change; the trigger below keeps the range values as the
-- client's change.
ALTER TABLE client_coaches ADD COLUMN activity_bits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE client_coaches ADD COLUMN client_age INTEGER;
ALTER TABLE client_coaches ADD COLUMN client_height {{double}};
ALTER TABLE client_coaches ADD COLUMN client_weight {{double}};
ALTER TABLE client_coaches ADD COLUMN client_shoe_size {{double}};
UPDATE client_coaches SET
    activity_bits = (SELECT COALESCE(SUM(CASE a.activity WHEN 'Running' THEN 1 WHEN 'Vertical Jump' THEN 2
            WHEN 'Weightlifting' THEN 4 WHEN 'Mobility Assessment' THEN 8 ELSE 0 END), 0)
        FROM client_activities a WHERE a.client_id = client_coaches.client_id),
    client_age = (SELECT c.age FROM clients c WHERE c.id = client_coaches.client_id),
    client_height = (SELECT c.height FROM clients c WHERE c.id = client_coaches.client_id),
    client_weight = (SELECT c.weight FROM clients c WHERE c.id = client_coaches.client_id),
    client_shoe_size = (SELECT c.shoe_size FROM clients c WHERE c.id = client_coaches.client_id);
DROP INDEX client_coaches_coach;
CREATE INDEX client_coaches_coach ON client_coaches
    (coach_uid, counted, client_uid, activity_bits, client_age, client_height, client_weight, client_shoe_size, client_id);

{{- if postgres}}
-- +goose StatementBegin
CREATE FUNCTION client_coaches_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE client_coaches SET client_age = NEW.age, client_height = NEW.height, client_weight = NEW.weight,
            client_shoe_size = NEW.shoe_size
        WHERE client_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER client_coaches_follow AFTER UPDATE OF age, height, weight, shoe_size ON clients
    FOR EACH ROW WHEN (OLD.age IS DISTINCT FROM NEW.age OR OLD.height IS DISTINCT FROM NEW.height
        OR OLD.weight IS DISTINCT FROM NEW.weight OR OLD.shoe_size IS DISTINCT FROM NEW.shoe_size)
    EXECUTE FUNCTION client_coaches_follow();
{{- else}}
-- +goose StatementBegin
CREATE TRIGGER client_coaches_follow AFTER UPDATE OF age, height, weight, shoe_size ON clients
    WHEN old.age IS NOT new.age OR old.height IS NOT new.height
        OR old.weight IS NOT new.weight OR old.shoe_size IS NOT new.shoe_size BEGIN
    UPDATE client_coaches SET client_age = new.age, client_height = new.height, client_weight = new.weight,
            client_shoe_size = new.shoe_size
        WHERE client_id = new.id;
END;
-- +goose StatementEnd
{{- end}}

-- +goose Down
{{- if postgres}}
DROP TRIGGER client_coaches_follow ON clients;
DROP FUNCTION client_coaches_follow();
{{- else}}
DROP TRIGGER client_coaches_follow;
{{- end}}
DROP INDEX client_coaches_coach;
CREATE INDEX client_coaches_coach ON client_coaches (coach_uid, counted, client_uid);
ALTER TABLE client_coaches DROP COLUMN activity_bits;
ALTER TABLE client_coaches DROP COLUMN client_age;
ALTER TABLE client_coaches DROP COLUMN client_height;
ALTER TABLE client_coaches DROP COLUMN client_weight;
ALTER TABLE client_coaches DROP COLUMN client_shoe_size;
