-- Schema version 10: the search index's vocabulary, read by the forgiving second pass
-- of search (a word with one typo finds the word it meant). fts5vocab holds no data of
-- its own: it reads documents_fts.

CREATE VIRTUAL TABLE documents_fts_vocab USING fts5vocab(documents_fts, 'row');
