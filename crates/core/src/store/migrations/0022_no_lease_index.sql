-- Schema version 22: no index of the leases.
--
-- Only a pending delivery (being sent) or a delivered one whose confirmation is owed
-- (being confirmed) holds a lease, and the indexes `deliveries_pending` and
-- `deliveries_to_confirm` already hold exactly those rows: the leases are found
-- through them. The index by lease owner (a long name) was written for every delivery
-- a fan-out claimed and erased again for every answer: a sixth of the enqueue's and of
-- the recorder's work.
DROP INDEX deliveries_leased;
