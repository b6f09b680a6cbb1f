-- Schema version 20: a fan-out starts sending before all its deliveries are written.
--
-- A publish to many sites commits first with its first deliveries, its last one (which
-- reserves the ids in between) and, in `unwritten`, the JSON of the rest; the worker
-- sends them all at once while the same process writes the rest and clears `unwritten`
-- in a second transaction. A process that died in between leaves `unwritten` set: the
-- next outbox pass (before it takes over dead workers' claims) or recorder of any
-- process writes those deliveries then, claimed as they were.
ALTER TABLE publishes ADD COLUMN unwritten TEXT;
CREATE INDEX publishes_unwritten ON publishes(id) WHERE unwritten IS NOT NULL;
