-- Schema version 2: site targets, publishes, and the webhook outbox (deliveries and
-- every attempt at them), plus workspace settings.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sites (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    webhook_url        TEXT NOT NULL,
    page_url_template  TEXT NOT NULL,
    tag_templates      TEXT NOT NULL DEFAULT '["documents","document:{slug}"]', -- JSON array
    path_templates     TEXT NOT NULL DEFAULT '[]',                              -- JSON array
    preset             TEXT NOT NULL DEFAULT 'standard_webhooks',
    enabled            INTEGER NOT NULL DEFAULT 1,
    disabled_reason    TEXT,
    confirm_timeout_ms INTEGER NOT NULL DEFAULT 30000,
    -- Secrets live in the OS keyring; this only says where to find them.
    secret_ref         TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

CREATE TABLE publishes (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER REFERENCES documents(id) ON DELETE SET NULL,
    slug        TEXT NOT NULL,
    revision    TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('published', 'unpublished')),
    source      TEXT NOT NULL,  -- exactly what was published, for the side-by-side view
    created_at  TEXT NOT NULL
);
CREATE INDEX publishes_by_slug ON publishes(slug, id);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    publish_id      INTEGER NOT NULL REFERENCES publishes(id) ON DELETE CASCADE,
    site_id         INTEGER REFERENCES sites(id) ON DELETE SET NULL,
    message_id      TEXT NOT NULL UNIQUE,  -- webhook-id: the same on every attempt
    body            TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'failed', 'config_error', 'cancelled')),
    attempt_count   INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);

CREATE TABLE attempts (
    id               INTEGER PRIMARY KEY,
    delivery_id      INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    started_at       TEXT NOT NULL,
    status           INTEGER,
    latency_ms       INTEGER,
    response_headers TEXT,  -- JSON object
    response_body    TEXT,  -- first 2 KB
    error            TEXT
);
CREATE INDEX attempts_by_delivery ON attempts(delivery_id, id);
