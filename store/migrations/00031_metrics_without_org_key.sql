-- +goose Up
-- A create writes an entry of metric history for each measure its client
-- has, five for the seed's shape, and each entry's foreign key to
-- organizations was checked on insert: an index probe and a KEY SHARE lock
-- of the organization's row, the row every create of the organization
-- then locked five times more. The key added nothing: an entry belongs to
-- a client (client_id, deleted with it), and the client to its
-- organization. Without it PostgreSQL spent a seventh less CPU on a create
-- (pg_stat_statements and /proc under wrk, 100,000 clients; docs/BENCHMARKS.md).
-- org_id stays, as the organization the entry was written in. SQLite
-- cannot drop a constraint, so its table is built again without it.
{{- if postgres}}
ALTER TABLE client_metrics DROP CONSTRAINT client_metrics_org_id_fkey;
{{- else}}
{{template "sqlite table" ""}}
{{- end}}

-- +goose Down
{{- if postgres}}
ALTER TABLE client_metrics ADD CONSTRAINT client_metrics_org_id_fkey
    FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE;
{{- else}}
{{template "sqlite table" " REFERENCES organizations (id) ON DELETE CASCADE"}}
{{- end}}

{{- /* SQLite builds the table again, its key to organizations given. */}}
{{- define "sqlite table"}}
CREATE TABLE client_metrics_next (
    id          {{id}},
    uid         {{bytewise_text}} NOT NULL UNIQUE,
    org_id      {{bigint}} NOT NULL{{.}},
    client_id   {{bigint}} NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    field       TEXT NOT NULL,
    value       {{double}} NOT NULL,
    recorded_at {{time}} NOT NULL,
    recorded_by TEXT NOT NULL
);
INSERT INTO client_metrics_next (id, uid, org_id, client_id, field, value, recorded_at, recorded_by)
    SELECT id, uid, org_id, client_id, field, value, recorded_at, recorded_by FROM client_metrics;
DROP TABLE client_metrics;
ALTER TABLE client_metrics_next RENAME TO client_metrics;
CREATE INDEX client_metrics_field ON client_metrics (client_id, field, recorded_at, id);
CREATE INDEX client_metrics_time ON client_metrics (client_id, recorded_at, id);
{{- end}}
