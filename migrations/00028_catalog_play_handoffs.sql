-- A counted play of a signed-in listener, or one from a share link, is handed to sharing
-- (scrobble, listen receipt) after its transaction commits. handoff_pending is set in that
-- transaction and cleared once the hand-off succeeded, so a process that died in between
-- leaves the play pending and housekeeping hands it off again (the hand-off is
-- idempotent). Plays from before this migration count as handed off: the default fills no
-- table rewrite.

-- +goose Up
ALTER TABLE catalog.plays ADD COLUMN handoff_pending boolean NOT NULL DEFAULT false;
CREATE INDEX plays_handoff_idx ON catalog.plays (played_at) WHERE handoff_pending;

-- +goose Down
DROP INDEX catalog.plays_handoff_idx;
ALTER TABLE catalog.plays DROP COLUMN handoff_pending;
