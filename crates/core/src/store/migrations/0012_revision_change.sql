-- Schema version 12: each history entry remembers the first words its save changed
-- (`diff::first_changed_words`), so the history names saves by what they did instead
-- of their size. NULL for a document's first save and for saves made before this.
ALTER TABLE revisions ADD COLUMN change TEXT;
