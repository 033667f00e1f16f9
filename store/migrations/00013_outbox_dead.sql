-- +goose Up
-- Mail that gives up: a message the SMTP server refused for good (5xx), or
-- that kept failing for longer than serve's --mail-give-up-after, is dead:
-- dead_at says when, last_error why, and no sender claims it again. org_id
-- and kind say what the message was for, so that an organization's Owner
-- sees its own dead mail; ref is the object it was about (an invitation's
-- token), for a resend. Mail for no organization (sign-up, password reset)
-- has no org_id and is only logged when it dies.
ALTER TABLE outbox ADD COLUMN org_id {{bigint}} REFERENCES organizations (id) ON DELETE CASCADE;
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN ref TEXT;
ALTER TABLE outbox ADD COLUMN dead_at {{time}};
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead ON outbox (org_id, id) WHERE dead_at IS NOT NULL;

-- +goose Down
-- Dead mail becomes unsent mail again, which the older roster retries.
DROP INDEX outbox_dead;
DROP INDEX outbox_due;
ALTER TABLE outbox DROP COLUMN dead_at;
ALTER TABLE outbox DROP COLUMN ref;
ALTER TABLE outbox DROP COLUMN kind;
ALTER TABLE outbox DROP COLUMN org_id;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;
