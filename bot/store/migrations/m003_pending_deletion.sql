-- /delete_me shown and awaiting its confirmation.
ALTER TABLE users ADD COLUMN delete_requested_at TEXT;
