-- Recommending units, their HR officers, one-time invitations (only a hash of the token), and
-- applicants' links to a unit.
CREATE TABLE units (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    applicant_token  TEXT NOT NULL UNIQUE,   -- the unit's applicant link (/start u_<token>)
    next_number      INTEGER NOT NULL DEFAULT 1,
    created_by       INTEGER NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE TABLE unit_hr (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    user_id        INTEGER NOT NULL,
    chat_id        INTEGER NOT NULL,
    invitation_id  INTEGER,
    added_at       TEXT NOT NULL,
    revoked_at     TEXT,                    -- NULL: HR of the unit now
    revoked_by     INTEGER
);
CREATE UNIQUE INDEX unit_hr_active ON unit_hr (unit_id, user_id) WHERE revoked_at IS NULL;
CREATE INDEX unit_hr_user ON unit_hr (user_id);
CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    token_hash  TEXT NOT NULL UNIQUE,       -- sha256 of the token; the token is only in the link
    created_by  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     INTEGER,
    revoked_at  TEXT,
    revoked_by  INTEGER
);
CREATE TABLE applicant_units (
    user_id       INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    number        INTEGER NOT NULL,          -- the applicant's number in the unit's list
    via           TEXT NOT NULL,             -- link, chosen
    consented_at  TEXT NOT NULL,
    UNIQUE (unit_id, number)
);
CREATE INDEX applicant_units_unit ON applicant_units (unit_id);
