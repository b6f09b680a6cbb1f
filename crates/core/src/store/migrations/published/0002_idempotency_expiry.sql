-- Version 2: Idempotency-Key answers expire (24 h); finding the old ones needs an index.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
