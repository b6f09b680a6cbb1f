-- Schema version 18 (issue #16): a scheduled publish that could not reach the content
-- API or a destination at its time is tried again later (`due_at` moved, `error` the
-- last reason); `attempts` counts the tries, so that it gives up in the end.
ALTER TABLE schedules ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
