-- Schema version 17 (issue #16): scheduled publishing. One row per schedule of a
-- document: publish it (to `sites`, a JSON list; empty: every enabled site) at
-- `due_at`. The publisher claims a due one with a lease (as it does deliveries), so an
-- app and a daemon on one workspace never both carry it out; one that died holding it
-- loses it when the lease runs out.
--
-- `state`: pending → done (publish_id set) | failed (error set) | cancelled.
-- `late_ms`: how long after its due time it started (a machine asleep, no worker).
CREATE TABLE schedules (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    due_at      TEXT NOT NULL,
    sites       TEXT NOT NULL DEFAULT '[]',
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'done', 'failed', 'cancelled')),
    lease_owner TEXT,
    lease_until TEXT,
    started_at  TEXT,
    late_ms     INTEGER,
    publish_id  INTEGER REFERENCES publishes(id) ON DELETE SET NULL,
    error       TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
-- At most one pending schedule per document: scheduling again moves it.
CREATE UNIQUE INDEX schedules_pending ON schedules(document_id) WHERE state = 'pending';
-- What is due next: few rows, whatever the history's size.
CREATE INDEX schedules_due ON schedules(due_at) WHERE state = 'pending';
