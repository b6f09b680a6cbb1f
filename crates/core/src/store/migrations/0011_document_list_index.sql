-- Schema version 11: the document list (the app's sidebar, `pressroom doc list`) is
-- answered from this index alone. A row's title, tags and dates sit after its source
-- and body, often on overflow pages, so without it listing 10 000 documents read every
-- document's whole text. A document with a parse error has no content revision, so
-- the index also answers "has an error".
CREATE INDEX documents_list ON documents(
    updated_at DESC, id DESC, slug, title, tags, content_revision, published_revision,
    deleted_at
) WHERE deleted_at IS NULL;
-- It also orders the list, which was all the older index by update time was for.
DROP INDEX documents_by_updated;
