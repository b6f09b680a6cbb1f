-- Schema version 5: one long-lived publisher per process, and where each site stands.
--
-- `stage` is the persisted state machine of one (publish, site): the JSON of
-- `core::stage::Stage` (queued → sending → retry_at → accepted → confirming → live |
-- stale | failed). `state` stays the outbox's queue column, derived from the stage by
-- the same statements that write it.
-- `confirm_timeout_ms`: a confirmation is owed — confirm the page for this long once the
-- webhook is accepted (NULL: webhook only, or the confirmation has ended). `lease_owner`/`lease_until`: the process sending or confirming
-- this delivery right now; another process takes it over only after the lease ran out.

ALTER TABLE deliveries ADD COLUMN stage TEXT NOT NULL DEFAULT '{"stage":"queued"}';
ALTER TABLE deliveries ADD COLUMN confirm_timeout_ms INTEGER;
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
ALTER TABLE deliveries ADD COLUMN lease_until TEXT;

UPDATE deliveries SET stage = CASE
    WHEN state = 'pending' AND attempt_count = 0 THEN '{"stage":"queued"}'
    WHEN state = 'pending' THEN json_object('stage', 'retry_at', 'attempt', attempt_count,
        'at', coalesce(next_attempt_at, updated_at), 'error', coalesce(last_error, ''))
    WHEN state = 'delivered' THEN '{"stage":"accepted"}'
    ELSE json_object('stage', 'failed', 'reason', coalesce(last_error, state))
END;

-- A publish must not scan the whole history: every lookup by publish, and every
-- cascade from publishes, sites and documents, has an index.
CREATE INDEX deliveries_by_publish ON deliveries(publish_id, id);
CREATE INDEX deliveries_by_site ON deliveries(site_id);
CREATE INDEX confirmations_by_site ON confirmations(site_id);
CREATE INDEX publishes_by_document ON publishes(document_id);
-- Confirmations the publisher still owes: few rows, whatever the history's size.
CREATE INDEX deliveries_to_confirm ON deliveries(state) WHERE confirm_timeout_ms IS NOT NULL;
-- The leases held now (to find those of a worker that died): few rows at any time.
CREATE INDEX deliveries_leased ON deliveries(lease_owner) WHERE lease_owner IS NOT NULL;
