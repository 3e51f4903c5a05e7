-- What the user's next typed message is for (a wizard's step) and the wizard's draft (JSON).
ALTER TABLE users ADD COLUMN awaiting TEXT;
ALTER TABLE users ADD COLUMN awaiting_data TEXT;
