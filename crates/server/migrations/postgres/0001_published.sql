-- The reference content API on PostgreSQL: the same tables as the SQLite file
-- (crates/core/src/store/migrations/published), shared by every instance.
-- Timestamps are RFC 3339 UTC text with milliseconds, as in SQLite: they compare as text.

CREATE TABLE documents (
    slug         TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    revision     TEXT NOT NULL,
    html         TEXT NOT NULL,
    markdown     TEXT NOT NULL,
    summary      TEXT NOT NULL,
    tags         TEXT NOT NULL,  -- JSON array
    front_matter TEXT NOT NULL,  -- JSON object
    published_at TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    cover        TEXT
);
CREATE INDEX documents_newest ON documents (published_at DESC, slug);

-- Every accepted change, in order: the server's publish history.
CREATE TABLE publish_log (
    id         BIGSERIAL PRIMARY KEY,
    slug       TEXT NOT NULL,
    revision   TEXT,           -- NULL for an unpublish
    created_at TEXT NOT NULL
);
CREATE INDEX publish_log_by_slug ON publish_log (slug);

-- First answer to each Idempotency-Key, replayed for retries of the same request by
-- any instance; forgotten after 24 hours.
CREATE TABLE idempotency_keys (
    key          TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- SHA-256 of the generated write token (the token itself is shown once, never stored).
CREATE TABLE server_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Images, immutable, named by the SHA-256 of their bytes.
CREATE TABLE assets (
    sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    mime       TEXT NOT NULL,
    bytes      BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
