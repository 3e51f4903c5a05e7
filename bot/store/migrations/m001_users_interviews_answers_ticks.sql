-- Users, their interview (one per user), answers and ticked checklist items.
CREATE TABLE users (
    user_id     INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    locale      TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE interviews (
    user_id          INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
    notice_id        TEXT NOT NULL,
    current_question TEXT,            -- NULL: finished (the outcome is shown)
    started          INTEGER NOT NULL DEFAULT 0,
    updated_at       TEXT NOT NULL
);
CREATE TABLE answers (
    user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    option_id   TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (user_id, question_id)
);
CREATE TABLE ticks (
    user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
    item_id     TEXT NOT NULL,
    ticked_at   TEXT NOT NULL,
    PRIMARY KEY (user_id, item_id)
);
