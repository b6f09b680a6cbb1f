-- The reference content API's database (a different file from an editor's workspace).

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
    updated_at   TEXT NOT NULL
);
CREATE INDEX documents_newest ON documents(published_at DESC, slug);

-- Every accepted change, in order: the server's publish history.
CREATE TABLE publish_log (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL,
    revision   TEXT,           -- NULL for an unpublish
    created_at TEXT NOT NULL
);

-- First answer to each Idempotency-Key, replayed for retries of the same request.
CREATE TABLE idempotency_keys (
    key          TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

-- SHA-256 of the generated write token (the token itself is shown once, never stored).
CREATE TABLE server_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
