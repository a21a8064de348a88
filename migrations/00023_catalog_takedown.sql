-- A track taken down by a moderation decision (legal's takedowns, applied by the workflow
-- takedown/<track-id>) is hidden from everyone but its artist: feeds, pages, search,
-- albums, tags, playlists and likes read only tracks that are ready and not taken down.
-- The artist still sees it, marked, and its records on their PDS are left as they are.

-- +goose Up
ALTER TABLE catalog.tracks ADD COLUMN taken_down boolean NOT NULL DEFAULT false;
-- Housekeeping compares the tracks down here with legal's takedowns in force.
CREATE INDEX tracks_taken_down_idx ON catalog.tracks (id) WHERE taken_down;

-- +goose Down
DROP INDEX catalog.tracks_taken_down_idx;
ALTER TABLE catalog.tracks DROP COLUMN taken_down;
