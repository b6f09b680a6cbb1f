-- The content API's images (docs/content-api.md, PUT /v1/assets/{sha256}): immutable,
-- named by the SHA-256 of their bytes.
CREATE TABLE assets (
    sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    mime       TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    created_at TEXT NOT NULL
) WITHOUT ROWID;
