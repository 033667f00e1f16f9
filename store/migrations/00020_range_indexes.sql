-- +goose Up
-- Range filters (issue 14): age, height, weight and shoe size from one
-- bound to another, and the last session's times. A range cannot have a
-- counter as a gender or an activity has (counts.go), so its count walks
-- the range along one of these indexes, and only the index: each also
-- holds what every client list asks (deactivated_at, and import_id for
-- visible) and the id that an activity filter looks client_activities up
-- by (on SQLite id is the rowid, which every index holds anyway; naming it
-- keeps the engines' schemas alike). A filter on several ranges walks one
-- and tests the others on the rows. clients_org_last_session, which also
-- orders lists by last session, is rebuilt the same way.
DROP INDEX clients_org_last_session;
CREATE INDEX clients_org_last_session ON clients (org_id, last_session, uid, deactivated_at, import_id, id);
CREATE INDEX clients_org_age ON clients (org_id, age, deactivated_at, import_id, id);
CREATE INDEX clients_org_height ON clients (org_id, height, deactivated_at, import_id, id);
CREATE INDEX clients_org_weight ON clients (org_id, weight, deactivated_at, import_id, id);
CREATE INDEX clients_org_shoe_size ON clients (org_id, shoe_size, deactivated_at, import_id, id);

-- +goose Down
DROP INDEX clients_org_age;
DROP INDEX clients_org_height;
DROP INDEX clients_org_weight;
DROP INDEX clients_org_shoe_size;
DROP INDEX clients_org_last_session;
CREATE INDEX clients_org_last_session ON clients (org_id, last_session, uid);
