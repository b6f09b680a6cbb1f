-- Schema version 14 (issue #13): every site names the destination it reads from (NULL:
-- the workspace's content API); Directus joins WordPress as a kind, with its settings
-- (the collection and field mapping) as JSON; remote ids are text (a Directus
-- collection may key its items by UUID), and each remote post remembers the draft
-- revision it last agreed with (for pull).
--
-- SQLite cannot change a CHECK constraint: both tables are rebuilt. remote_posts is
-- dropped before destinations, so dropping destinations cascades into nothing, and
-- renaming destinations_v14 rewrites remote_posts_v14's reference to it.
CREATE TABLE destinations_v14 (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('wordpress', 'directus')),
    url        TEXT NOT NULL,   -- the REST root (WordPress) or the server's URL (Directus)
    user       TEXT NOT NULL,   -- WordPress's user name; empty for a Directus token
    secret_ref TEXT NOT NULL,
    settings   TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
INSERT INTO destinations_v14 (id, name, kind, url, user, secret_ref, created_at)
    SELECT id, name, kind, url, user, secret_ref, created_at FROM destinations;

CREATE TABLE remote_posts_v14 (
    document_id    INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    destination_id INTEGER NOT NULL REFERENCES destinations_v14(id) ON DELETE CASCADE,
    remote_id      TEXT NOT NULL,
    modified       TEXT NOT NULL,
    link           TEXT NOT NULL,
    -- The local draft's revision when it and the post last agreed (a publish or a
    -- pull): a draft changed since has changes a pull must not overwrite unasked.
    synced_revision TEXT,
    PRIMARY KEY (document_id, destination_id)
) WITHOUT ROWID;
INSERT INTO remote_posts_v14 (document_id, destination_id, remote_id, modified, link)
    SELECT document_id, destination_id, CAST(remote_id AS TEXT), modified, link
    FROM remote_posts;

-- One document per post: a post linked twice (it cannot be published to from two
-- drafts) keeps its first document.
DELETE FROM remote_posts_v14 WHERE document_id NOT IN (
    SELECT min(document_id) FROM remote_posts_v14 GROUP BY destination_id, remote_id);

DROP TABLE remote_posts;
DROP TABLE destinations;
ALTER TABLE destinations_v14 RENAME TO destinations;
ALTER TABLE remote_posts_v14 RENAME TO remote_posts;
CREATE INDEX remote_posts_by_destination ON remote_posts(destination_id);
-- Pull finds a post's draft by its id there.
CREATE UNIQUE INDEX remote_posts_by_remote_id ON remote_posts(destination_id, remote_id);

-- No ON DELETE action: a destination that live sites read from is not removed
-- (`Store::remove_destination` refuses, and clears it from removed sites first).
ALTER TABLE sites ADD COLUMN destination_id INTEGER REFERENCES destinations(id);

-- The revision the content API holds of each document as this workspace last wrote it
-- (the base of its next publish there), apart from `published_revision` (the last
-- publish to any sites): a publish to sites that read from a CMS leaves the API's copy
-- as it was, and the API's acceptance is recorded even when a CMS then fails.
ALTER TABLE documents ADD COLUMN api_revision TEXT;
UPDATE documents SET api_revision = published_revision;
