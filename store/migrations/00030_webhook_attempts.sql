-- +goose Up
-- Every attempt at a webhook delivery, which the delivery's last_status
-- and last_error show only the last of: written in the transaction that
-- records the attempt's outcome (FinishWebhook), which also deletes all
-- but the delivery's last roster.WebhookAttemptsKept, so that a receiver
-- that keeps failing, or an Owner who keeps retrying, cannot grow the
-- table without bound. They go with their delivery, pruned or deleted.
-- number is the delivery's attempts counter at the attempt's claim,
-- which no two claims share; the key lists a delivery's attempts newest
-- first and finds the ones to delete.
CREATE TABLE webhook_attempts (
    delivery_id  {{bigint}} NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    number       {{bigint}} NOT NULL,
    attempted_at {{time}} NOT NULL,
    status_code  {{bigint}}, -- NULL: no answer
    error        TEXT NOT NULL,
    duration_ms  {{bigint}} NOT NULL,
    PRIMARY KEY (delivery_id, number)
);

-- +goose Down
DROP TABLE webhook_attempts;
