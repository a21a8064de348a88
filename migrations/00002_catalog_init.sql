-- Catalog owns tracks: what listeners browse. A track is created as 'processing' when its
-- upload starts and becomes 'ready' once its audio is validated and stored.

-- +goose Up
CREATE SCHEMA catalog;

CREATE TABLE catalog.tracks (
    id          uuid PRIMARY KEY,
    artist_did  text NOT NULL,
    title       text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 256),
    status      text NOT NULL CHECK (status IN ('processing', 'ready')),
    file_id     uuid,
    duration_ms integer CHECK (duration_ms > 0),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'ready' OR (file_id IS NOT NULL AND duration_ms IS NOT NULL))
);

-- Keyset pagination walks (created_at, id) downwards: the public feed over ready tracks,
-- an artist's page over all of theirs.
CREATE INDEX tracks_feed_idx ON catalog.tracks (created_at DESC, id DESC) WHERE status = 'ready';
CREATE INDEX tracks_artist_idx ON catalog.tracks (artist_did, created_at DESC, id DESC);

-- +goose Down
DROP SCHEMA catalog CASCADE;
