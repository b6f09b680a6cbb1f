-- Schema version 19 (issue #16): the destinations (by id, a JSON list) where a
-- scheduled publish was also handed over as the CMS's own scheduled post (WordPress's
-- `future` status), so that cancelling it removes that post there while it is held.
ALTER TABLE schedules ADD COLUMN staged TEXT NOT NULL DEFAULT '[]';
