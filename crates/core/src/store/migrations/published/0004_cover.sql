-- A document's cover image (front matter `cover:`) as an address readers can fetch:
-- one of this server's images, or the http(s) URL it named.
ALTER TABLE documents ADD COLUMN cover TEXT;
