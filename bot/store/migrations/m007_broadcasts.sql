-- Contact persons' broadcasts (bot.delivery.broadcasts).
CREATE TABLE broadcasts (
    id            INTEGER PRIMARY KEY,
    author_id     INTEGER NOT NULL,
    author_chat   INTEGER,
    created_at    TEXT NOT NULL,
    scheduled_at  TEXT NOT NULL,
    audience      TEXT NOT NULL,   -- JSON (bot.store.population.Audience)
    payload       TEXT NOT NULL,   -- JSON (bot.delivery.outbox.encode)
    status        TEXT NOT NULL,   -- scheduled, queued, done, cancelled
    recipients    INTEGER,
    progress_message INTEGER       -- the author's message that shows progress, edited in place
);
