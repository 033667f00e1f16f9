-- +goose Up
-- Mail sent or given up on is deleted once it is older than the sender's
-- retention (30 days): these indexes let the hourly prune find it without
-- reading the outbox (PruneMail).
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_dead_at ON outbox (dead_at) WHERE dead_at IS NOT NULL;

-- +goose Down
DROP INDEX outbox_dead_at;
DROP INDEX outbox_sent_at;
