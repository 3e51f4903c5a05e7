-- One row per applicant (a user who started an interview) with what follows from the answers:
-- verdict, level, checklist progress, and the unit and reachability kept by the triggers below.
-- Audiences, the broadcast preview, /stats and /unit are SQL aggregates over it. Rows are written
-- with the answers (bot.store.users.save_user) and worked out anew at start for a changed notice.
CREATE TABLE applicant_summaries (
    user_id     INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
    chat_id     INTEGER NOT NULL,
    notice_id   TEXT NOT NULL,
    version     TEXT NOT NULL,              -- the notice file the row was worked out under
    finished    INTEGER NOT NULL,           -- the interview is finished and has a verdict
    verdict     TEXT,
    level       TEXT,                       -- the level id answered, if any
    items       INTEGER NOT NULL DEFAULT 0, -- checklist items
    ticked      INTEGER NOT NULL DEFAULT 0, -- of them ticked
    unit_id     INTEGER,                    -- the unit the applicant linked to (applicant_units)
    reachable   INTEGER NOT NULL DEFAULT 1, -- 0: the chat blocked the bot (unreachable_chats)
    updated_at  TEXT NOT NULL
);
CREATE INDEX applicant_summaries_unit ON applicant_summaries (unit_id);
CREATE INDEX applicant_summaries_chat ON applicant_summaries (chat_id);
CREATE TRIGGER applicant_summaries_linked AFTER INSERT ON applicant_units BEGIN
    UPDATE applicant_summaries SET unit_id = NEW.unit_id WHERE user_id = NEW.user_id;
END;
CREATE TRIGGER applicant_summaries_unlinked AFTER DELETE ON applicant_units BEGIN
    UPDATE applicant_summaries SET unit_id = NULL WHERE user_id = OLD.user_id;
END;
CREATE TRIGGER applicant_summaries_blocked AFTER INSERT ON unreachable_chats BEGIN
    UPDATE applicant_summaries SET reachable = 0 WHERE chat_id = NEW.chat_id;
END;
CREATE TRIGGER applicant_summaries_unblocked AFTER DELETE ON unreachable_chats BEGIN
    UPDATE applicant_summaries SET reachable = 1 WHERE chat_id = OLD.chat_id;
END;
