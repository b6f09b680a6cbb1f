-- Schema version 13: the CMSs a workspace publishes to besides its content API
-- (issue #13), and where each document is in each of them. A destination's password
-- lives in the secret store; the row holds its reference only.
CREATE TABLE destinations (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('wordpress')),
    url        TEXT NOT NULL,   -- the REST root, as the CMS announces it
    user       TEXT NOT NULL,
    secret_ref TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The post a document became in a destination: updated in place by its id; its
-- modified time tells whether someone edited it there since.
CREATE TABLE remote_posts (
    document_id    INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    destination_id INTEGER NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
    remote_id      INTEGER NOT NULL,
    modified       TEXT NOT NULL,
    link           TEXT NOT NULL,
    PRIMARY KEY (document_id, destination_id)
) WITHOUT ROWID;
CREATE INDEX remote_posts_by_destination ON remote_posts(destination_id);
