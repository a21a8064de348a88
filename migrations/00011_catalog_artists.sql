-- Artists: every account that signed in (or uploaded) has one. What the artist set in plyr
-- for their profile lives here; handle, Bluesky display name and avatar stay the identity
-- module's (so a display_name of '' means "the Bluesky display name, else the handle"),
-- and so do the support link and show-liked-on-profile, which are account preferences.
--
-- Tracks get the counters their views carry (likes, comments and plays are counted by the
-- listener side of the catalog; zero until then).

-- +goose Up
CREATE TABLE catalog.artists (
    did          text PRIMARY KEY,
    display_name text NOT NULL DEFAULT '' CHECK (octet_length(display_name) <= 640),
    bio          text NOT NULL DEFAULT '' CHECK (octet_length(bio) <= 2560),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

INSERT INTO catalog.artists (did, created_at)
SELECT artist_did, min(created_at) FROM catalog.tracks GROUP BY artist_did
ON CONFLICT DO NOTHING;

ALTER TABLE catalog.tracks
    ADD COLUMN play_count    bigint NOT NULL DEFAULT 0 CHECK (play_count >= 0),
    ADD COLUMN like_count    bigint NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    ADD COLUMN comment_count bigint NOT NULL DEFAULT 0 CHECK (comment_count >= 0);

-- +goose Down
ALTER TABLE catalog.tracks DROP COLUMN play_count, DROP COLUMN like_count, DROP COLUMN comment_count;
DROP TABLE catalog.artists;
