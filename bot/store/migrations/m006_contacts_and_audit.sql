-- Contact persons added in the chat, and the audit log of privileged actions.
CREATE TABLE contact_persons (
    user_id   INTEGER PRIMARY KEY,
    added_by  INTEGER NOT NULL,
    added_at  TEXT NOT NULL
);
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    INTEGER NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,       -- JSON, never personal data beyond ids
    recipients  INTEGER
);
