-- Schema version 15 (issue #15): the workspace's images. The bytes are files named by
-- their SHA-256 in the workspace's assets/ folder; a row says what each one is. Added
-- once: the same image again is the same row.
CREATE TABLE assets (
    sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
    name       TEXT NOT NULL,
    mime       TEXT NOT NULL CHECK (mime IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp')),
    bytes      INTEGER NOT NULL,
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    created_at TEXT NOT NULL
) WITHOUT ROWID;

-- Where each image was uploaded (`target`: "api <url>" for a content API, "destination
-- <id>" for a CMS), so that publishing again sends none twice.
CREATE TABLE asset_uploads (
    target     TEXT NOT NULL,
    sha256     TEXT NOT NULL REFERENCES assets(sha256),
    url        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (target, sha256)
) WITHOUT ROWID;
