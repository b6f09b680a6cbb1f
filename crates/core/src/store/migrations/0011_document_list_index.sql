-- Schema version 11: the document list (the app's sidebar, `pressroom doc list`) is
-- answered from this index alone. A row's title, tags and dates sit after its source
-- and body, often on overflow pages, so without it listing 10 000 documents read every
-- document's whole text. A document with a parse error has no content revision, so
-- the index also answers "has an error".
-- Ascending, though the list is newest first (SQLite reads it backwards): a new or
-- edited document lands at the end, so pages fill up instead of splitting in half
-- (half the pages to read with 10 000 documents).
CREATE INDEX documents_list ON documents(
    updated_at, id, slug, title, tags, content_revision, published_revision,
    deleted_at
) WHERE deleted_at IS NULL;
-- It also orders the list, which was all the older index by update time was for.
DROP INDEX documents_by_updated;
