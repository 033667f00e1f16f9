-- +goose Up
-- Metric history (issue 14): every value a client's measures took, written
-- in the transaction of the change that set it, and measurements recorded
-- for a past time. field is the registry's API name (shoeSize). uid is an
-- entry's id for the API and its pages' cursor; id orders entries of one
-- recorded_at as they were written.
CREATE TABLE client_metrics (
    id          {{id}},
    uid         {{bytewise_text}} NOT NULL UNIQUE,
    org_id      {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id   {{bigint}} NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    field       TEXT NOT NULL,
    value       {{double}} NOT NULL,
    recorded_at {{time}} NOT NULL,
    recorded_by TEXT NOT NULL
);
-- A client's series of one field, and of all of them, oldest first.
CREATE INDEX client_metrics_field ON client_metrics (client_id, field, recorded_at, id);
CREATE INDEX client_metrics_time ON client_metrics (client_id, recorded_at, id);

-- +goose Down
DROP TABLE client_metrics;
