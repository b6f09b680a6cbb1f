-- Schema version 9: the Trash. Deleting a document moves it to the Trash
-- (`documents.deleted_at`) with its history; it can be restored until it is purged
-- (30 days later, or when the Trash is emptied). A trashed document keeps its slug.

ALTER TABLE documents ADD COLUMN deleted_at TEXT;
CREATE INDEX documents_trashed ON documents(deleted_at) WHERE deleted_at IS NOT NULL;
