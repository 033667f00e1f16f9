-- +goose Up
-- A search of many clients is counted, and its first pages are read, by
-- walking the organization's newest active clients along this index and
-- checking each one's name and email keys (denseCount, newestPage). On
-- SQLite each client walked was looked up in the table for its keys and
-- its import. The index now holds them, so that only the clients listed
-- are looked up: at 1,000,000 clients, a first name's search took about
-- half as long (15 to 8 ms; docs/BENCHMARKS.md). PostgreSQL walks the
-- newest along clients_org_uid and gained nothing from the same index
-- (measured), so it keeps its own.
{{- if not postgres}}
DROP INDEX clients_org_deactivated;
CREATE INDEX clients_org_deactivated ON clients (org_id, deactivated_at, uid, import_id, name_key, email_key);
{{- end}}

-- +goose Down
{{- if not postgres}}
DROP INDEX clients_org_deactivated;
CREATE INDEX clients_org_deactivated ON clients (org_id, deactivated_at, uid);
{{- end}}
