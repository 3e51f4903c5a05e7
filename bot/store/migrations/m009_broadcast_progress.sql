-- Whether the progress message shows the broadcast's end (done or cancelled) yet.
ALTER TABLE broadcasts ADD COLUMN progress_final INTEGER NOT NULL DEFAULT 0;
