-- Typed questions the notice did not answer, as text only: no user id, by design.
CREATE TABLE unanswered_questions (
    id        INTEGER PRIMARY KEY,
    asked_at  TEXT NOT NULL,
    text      TEXT NOT NULL
);
