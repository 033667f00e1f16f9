-- +goose Up
-- On PostgreSQL a filter page of one activity with ranges walked
-- client_activities_walk (migration 26) and looked each listed client up
-- by id: a join whose plan, with the fifty index entries it walked for
-- five matches, cost PostgreSQL two fifths more than an unfiltered page.
-- Each activity now has an index of its active clients (a partial index,
-- its predicate the one the page's query carries), in uid order with the
-- range fields, so that the page walks the clients' own index, tests the
-- ranges on it and reads only the rows it lists. SQLite, whose planner
-- does not take a partial index over the organization's, keeps walking
-- client_activities_walk, which is why the rows of migration 26 keep
-- their columns on both engines; PostgreSQL drops that index only. The
-- activities are roster.Activities; a test fails when one has no index.
{{- if postgres}}
CREATE INDEX clients_walk_running ON clients (org_id, uid, age, height, weight, shoe_size)
    WHERE deactivated_at IS NULL AND preferable_activities LIKE '%"Running"%';
CREATE INDEX clients_walk_vertical_jump ON clients (org_id, uid, age, height, weight, shoe_size)
    WHERE deactivated_at IS NULL AND preferable_activities LIKE '%"Vertical Jump"%';
CREATE INDEX clients_walk_weightlifting ON clients (org_id, uid, age, height, weight, shoe_size)
    WHERE deactivated_at IS NULL AND preferable_activities LIKE '%"Weightlifting"%';
CREATE INDEX clients_walk_mobility_assessment ON clients (org_id, uid, age, height, weight, shoe_size)
    WHERE deactivated_at IS NULL AND preferable_activities LIKE '%"Mobility Assessment"%';
DROP INDEX client_activities_walk;
{{- end}}

-- +goose Down
{{- if postgres}}
CREATE INDEX client_activities_walk ON client_activities
    (org_id, activity, deactivated, client_uid, import_id, age, height, weight, shoe_size, client_id);
DROP INDEX clients_walk_running;
DROP INDEX clients_walk_vertical_jump;
DROP INDEX clients_walk_weightlifting;
DROP INDEX clients_walk_mobility_assessment;
{{- end}}
