-- Reminders before deadlines: who turned them off, and which slots were queued or skipped.
CREATE TABLE reminder_settings (
    user_id    INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
    enabled    INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE reminder_slots (
    notice_id   TEXT NOT NULL,
    deadline_id TEXT NOT NULL,
    days_before INTEGER NOT NULL,
    send_at     TEXT NOT NULL,
    status      TEXT NOT NULL,      -- done, skipped
    enqueued    INTEGER NOT NULL DEFAULT 0,
    settled_at  TEXT NOT NULL,
    PRIMARY KEY (notice_id, deadline_id, days_before)
);
