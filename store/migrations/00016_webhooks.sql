-- +goose Up
-- Webhooks: endpoints an organization's Owner registers, and the outbox of
-- their deliveries, written in the transaction of the change each announces.
CREATE TABLE webhook_endpoints (
    id              {{id}},
    uid             TEXT NOT NULL UNIQUE,
    org_id          {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    -- The subscribed event types between commas, ",client.created,", or
    -- ",*,": one LIKE matches an event against them.
    events          TEXT NOT NULL,
    -- Signing secrets, sealed by the keyring: a copy of the database does
    -- not reveal them. The previous one signs too until previous_expires_at.
    secret          TEXT NOT NULL,
    previous_secret TEXT,
    previous_expires_at {{time}},
    created_at      {{time}} NOT NULL,
    disabled_at     {{time}},
    disabled_reason TEXT NOT NULL DEFAULT '',
    -- The API key that created the endpoint, if one did: revoking the key
    -- disables it, so that a leaked key cannot leave behind a receiver of
    -- the organization's changes that outlives it.
    api_key_id      {{bigint}} REFERENCES api_keys (id) ON DELETE CASCADE,
    -- Until when a dispatcher makes an attempt at one of the endpoint's
    -- deliveries: one at a time per endpoint, so that a slow receiver
    -- holds one worker, not all of them.
    busy_until      {{time}}
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id);
CREATE INDEX webhook_endpoints_api_key ON webhook_endpoints (api_key_id) WHERE api_key_id IS NOT NULL;

-- One event's delivery to one endpoint. event_uid is the webhook-id's uid,
-- shared by every endpoint's delivery of the event. snapshot is the object
-- the event is about, in the store's JSON; body is rendered from it at the
-- first attempt and kept, so that every retry sends the same bytes.
CREATE TABLE webhook_deliveries (
    id              {{id}},
    endpoint_id     {{bigint}} NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    org_id          {{bigint}} NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    event_uid       TEXT NOT NULL,
    type            TEXT NOT NULL,
    occurred_at     {{time}} NOT NULL,
    snapshot        TEXT NOT NULL,
    body            TEXT,
    attempts        {{bigint}} NOT NULL DEFAULT 0,
    next_attempt_at {{time}} NOT NULL,
    lease_until     {{time}},
    last_attempt_at {{time}},
    delivered_at    {{time}},
    dead_at         {{time}},
    last_status     {{bigint}} NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT ''
);
-- The dispatchers' claim: an endpoint's oldest pending delivery.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at, id) WHERE delivered_at IS NULL AND dead_at IS NULL;
-- An endpoint's deliveries, newest first, and one of them by its webhook-id.
CREATE UNIQUE INDEX webhook_deliveries_endpoint_event ON webhook_deliveries (endpoint_id, event_uid);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
-- The dead ones, counted for monitoring; they and the delivered ones are
-- deleted once older than the dispatcher's retention.
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (dead_at) WHERE dead_at IS NOT NULL;
CREATE INDEX webhook_deliveries_delivered ON webhook_deliveries (delivered_at) WHERE delivered_at IS NOT NULL;

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
