-- The years of a dated checklist item (2018-2020年《专业技术人员业务考核登记表》 …) an applicant
-- confirmed with ✅ under the check of an upload (issue 21): the item id and the year only, never
-- anything of the file. Deleted with the user's other rows (bot.store.users.USER_ROWS).
CREATE TABLE upload_years (
    user_id      INTEGER NOT NULL,
    item_id      TEXT NOT NULL,
    year         INTEGER NOT NULL,
    confirmed_at TEXT NOT NULL,
    PRIMARY KEY (user_id, item_id, year)
) WITHOUT ROWID;
