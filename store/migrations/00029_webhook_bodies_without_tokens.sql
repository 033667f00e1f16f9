-- +goose Up
-- Invitation events carried the invitation's token to the receiver until
-- their data became the invitation as listed, without it. A body is
-- rendered at a delivery's first attempt and kept for its retries, and for
-- the retry endpoint, so that the bodies rendered before would go on
-- sending the token: they are dropped, and rendered again, without it,
-- from their snapshots at the next attempt.
UPDATE webhook_deliveries SET body = NULL WHERE type LIKE 'invitation.%';

-- +goose Down
-- Nothing to undo: a body rendered again is what the dropped one would
-- be without the token.
SELECT 1;
