-- Schema version 21: a fan-out's webhook body stored once.
--
-- Every site with the same tag and path templates gets the same body, which each of a
-- fan-out's deliveries used to store again (half of a delivery row). `publishes.body`
-- holds the body most of its deliveries send; a delivery with `shared_body` set sends
-- that one (its own `body` is left empty).
ALTER TABLE publishes ADD COLUMN body TEXT;
ALTER TABLE deliveries ADD COLUMN shared_body INTEGER NOT NULL DEFAULT 0;
