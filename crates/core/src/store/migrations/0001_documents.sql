-- Schema version 1: drafts, their saved revisions, and full-text search over them.

CREATE TABLE documents (
    id                 INTEGER PRIMARY KEY,
    slug               TEXT NOT NULL UNIQUE,
    -- The text the editor saves (front matter + body). Everything below is derived.
    source             TEXT NOT NULL,
    title              TEXT NOT NULL DEFAULT '',
    body               TEXT NOT NULL DEFAULT '',
    search_text        TEXT NOT NULL DEFAULT '',    -- the body's words, no markdown syntax
    tags               TEXT NOT NULL DEFAULT '[]',  -- JSON array
    front_matter       TEXT NOT NULL DEFAULT '{}',  -- JSON object, source key order
    -- Set while the source does not parse; derived fields then keep their last good value.
    parse_error        TEXT,
    parse_error_line   INTEGER,
    content_revision   TEXT,                        -- NULL while parse_error is set
    published_revision TEXT,                        -- what the content API last accepted
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX documents_by_updated ON documents(updated_at DESC);

CREATE TABLE revisions (
    id               INTEGER PRIMARY KEY,
    document_id      INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    source           TEXT NOT NULL,
    content_revision TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX revisions_by_document ON revisions(document_id, id);

CREATE VIRTUAL TABLE documents_fts USING fts5(
    title, search_text,
    content = 'documents', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts(rowid, title, search_text) VALUES (new.id, new.title, new.search_text);
END;
CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, title, search_text)
        VALUES ('delete', old.id, old.title, old.search_text);
END;
CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, search_text ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, title, search_text)
        VALUES ('delete', old.id, old.title, old.search_text);
    INSERT INTO documents_fts(rowid, title, search_text) VALUES (new.id, new.title, new.search_text);
END;
