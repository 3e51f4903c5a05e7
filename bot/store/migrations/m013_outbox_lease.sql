-- When a row was claimed for sending: rows left `sending` longer than the sender's lease are
-- pending again at its next tick (a delivery that never recorded its result).
ALTER TABLE outbox ADD COLUMN claimed_at TEXT;
CREATE INDEX processed_updates_age ON processed_updates (processed_at);
