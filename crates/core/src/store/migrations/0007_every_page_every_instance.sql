-- Schema version 7: live confirmation of every affected page on every instance.
--
-- `sites.also_confirm`: JSON list of URL templates confirmed besides the page (`/`,
-- `/tags/{tag}`, `/feed.xml`). `sites.instances`: JSON list of instance origins
-- (self-hosted replicas): the webhook goes to each, and each is confirmed through its
-- own origin. A confirmation row is one (URL, instance); a poll records the cache
-- layers' headers and the instance that answered (`x-instance-id`).

ALTER TABLE sites ADD COLUMN also_confirm TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sites ADD COLUMN instances TEXT NOT NULL DEFAULT '[]';
ALTER TABLE confirmations ADD COLUMN instance TEXT;
ALTER TABLE polls ADD COLUMN cf_cache_status TEXT;
ALTER TABLE polls ADD COLUMN x_vercel_cache TEXT;
ALTER TABLE polls ADD COLUMN x_cache TEXT;
ALTER TABLE polls ADD COLUMN instance TEXT;
