-- Everything sent outside a reply, one row per message set and chat (bot.delivery.outbox).
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,              -- reminder, broadcast, ...
    ref         TEXT NOT NULL,              -- what the row belongs to (a reminder's key, a broadcast id)
    chat_id     INTEGER NOT NULL,
    user_id     INTEGER,
    payload     TEXT NOT NULL,              -- JSON: the messages to send
    not_before  TEXT NOT NULL,              -- ISO UTC
    status      TEXT NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    UNIQUE (kind, ref, chat_id)
);
CREATE INDEX outbox_due ON outbox (status, not_before);
CREATE TABLE unreachable_chats (chat_id INTEGER PRIMARY KEY, since TEXT NOT NULL);
