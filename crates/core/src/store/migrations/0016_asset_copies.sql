-- Schema version 16 (issue #15): downscaled copies for publishing, and media ids.
-- The copy of image `sha256` for destinations that take images at most `max_width`
-- pixels wide is asset `copy` (itself a row of `assets`; the image itself when it is
-- no wider or cannot be made smaller). Made once, at the first publish that needs it.
CREATE TABLE asset_copies (
    sha256    TEXT NOT NULL REFERENCES assets(sha256),
    max_width INTEGER NOT NULL CHECK (max_width > 0),
    copy      TEXT NOT NULL REFERENCES assets(sha256),
    PRIMARY KEY (sha256, max_width)
) WITHOUT ROWID;
CREATE INDEX asset_copies_copy ON asset_copies (copy);

-- The id a CMS gave an uploaded image (WordPress's attachment, Directus's file): what
-- a cover image (`cover:`) is set to there.
ALTER TABLE asset_uploads ADD COLUMN remote_id TEXT NOT NULL DEFAULT '';

-- The widest image each destination takes (0: as they are).
ALTER TABLE destinations ADD COLUMN image_max_width INTEGER NOT NULL DEFAULT 2560
    CHECK (image_max_width >= 0);
