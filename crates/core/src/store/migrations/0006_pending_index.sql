-- Schema version 6: indexes that cost the same whatever the history's size.
--
-- The outbox's due index holds only pending deliveries (a handful at any time), not the
-- whole history: a publish's deliveries enter it and leave it as they are sent.
--
-- A removed site stays as a tombstone (`removed_at` set, its name freed), so the
-- deliveries and confirmations that name it keep pointing at it and no `ON DELETE`
-- action ever has to find them: the indexes by site, which every publish touched in
-- one place per site (a thousand pages for a thousand sites), are gone.

DROP INDEX deliveries_due;
CREATE INDEX deliveries_pending ON deliveries(next_attempt_at, id) WHERE state = 'pending';

ALTER TABLE sites ADD COLUMN removed_at TEXT;
DROP INDEX deliveries_by_site;
DROP INDEX confirmations_by_site;
