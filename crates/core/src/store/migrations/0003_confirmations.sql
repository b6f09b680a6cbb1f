-- Schema version 3: live confirmation. One row per (publish, site) check and one per
-- poll of the page, so the app can show each site's timeline after the fact.

CREATE TABLE confirmations (
    id          INTEGER PRIMARY KEY,
    publish_id  INTEGER NOT NULL REFERENCES publishes(id) ON DELETE CASCADE,
    site_id     INTEGER REFERENCES sites(id) ON DELETE SET NULL,
    site_name   TEXT NOT NULL,
    url         TEXT NOT NULL,
    revision    TEXT NOT NULL,       -- the revision the page must show
    outcome     TEXT NOT NULL
                CHECK (outcome IN ('live', 'stale', 'http_error', 'unreachable')),
    method      TEXT CHECK (method IN ('exact', 'heuristic')),  -- when live
    message     TEXT NOT NULL,       -- the sentence shown to the user
    page_text   TEXT,                -- visible text of the last page fetched (capped)
    page_html   TEXT,                -- the last page fetched, sanitized (for the side-by-side view)
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL
);
CREATE INDEX confirmations_by_publish ON confirmations(publish_id, id);

CREATE TABLE polls (
    id              INTEGER PRIMARY KEY,
    confirmation_id INTEGER NOT NULL REFERENCES confirmations(id) ON DELETE CASCADE,
    elapsed_ms      INTEGER NOT NULL,
    status          INTEGER,
    x_nextjs_cache  TEXT,
    age             TEXT,
    cache_control   TEXT,
    etag            TEXT,
    seen_revision   TEXT,
    verdict         TEXT NOT NULL,   -- live | stale | http_error | unreachable
    error           TEXT
);
CREATE INDEX polls_by_confirmation ON polls(confirmation_id, id);
