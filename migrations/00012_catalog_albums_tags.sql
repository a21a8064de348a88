-- Albums, tags, features and artwork.
--
-- An album is an fm.plyr.list record (listType album) on its artist's PDS, keyed like the
-- others by a TID of its creation; it is made by naming it on a track (get-or-create by
-- slug). Tags are lowercase words shared by all artists; track_tags copies its track's
-- created_at so that "tracks with tag X" walks one index in feed order. Features are the
-- track's featured artists as the record lists them ([{did, handle, displayName?}]).
-- Artwork is an image of the media module: its id, and the URLs views and records show.

-- +goose Up
CREATE TABLE catalog.albums (
    id              uuid PRIMARY KEY,
    artist_did      text NOT NULL,
    slug            text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 100),
    title           text NOT NULL CHECK (octet_length(title) BETWEEN 1 AND 256),
    description     text NOT NULL DEFAULT '' CHECK (octet_length(description) <= 2560),
    image_id        uuid,
    image_url       text NOT NULL DEFAULT '',
    image_thumb_url text NOT NULL DEFAULT '',
    record_rkey     text NOT NULL,
    -- item_uris is the order of the album's list record as last written: the album's
    -- order, which the artist (or another app) may change on the PDS.
    item_uris       text[] NOT NULL DEFAULT '{}',
    -- deleting: the album's deletion started; its list record goes first.
    deleting        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (artist_did, record_rkey)
);
-- One live album per slug: an album being deleted leaves its name free at once.
CREATE UNIQUE INDEX albums_slug_key ON catalog.albums (artist_did, slug) WHERE NOT deleting;
CREATE INDEX albums_feed_idx ON catalog.albums (created_at DESC, id DESC);
CREATE INDEX albums_artist_idx ON catalog.albums (artist_did, lower(title));

ALTER TABLE catalog.tracks
    ADD COLUMN album_id        uuid REFERENCES catalog.albums (id) ON DELETE SET NULL,
    ADD COLUMN features        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(features) = 'array'),
    ADD COLUMN image_id        uuid,
    ADD COLUMN image_url       text NOT NULL DEFAULT '',
    ADD COLUMN image_thumb_url text NOT NULL DEFAULT '',
    ADD COLUMN deleting        boolean NOT NULL DEFAULT false;
CREATE INDEX tracks_album_idx ON catalog.tracks (album_id, created_at, id) WHERE album_id IS NOT NULL;
CREATE INDEX tracks_file_idx ON catalog.tracks (file_id) WHERE file_id IS NOT NULL;
CREATE INDEX tracks_image_idx ON catalog.tracks (image_id) WHERE image_id IS NOT NULL;

CREATE TABLE catalog.tags (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (name = lower(name) AND char_length(name) BETWEEN 1 AND 50),
    created_at timestamptz NOT NULL DEFAULT now()
);
-- Prefix search over tag names (text_pattern_ops serves LIKE 'abc%').
CREATE INDEX tags_prefix_idx ON catalog.tags (name text_pattern_ops);

CREATE TABLE catalog.track_tags (
    track_id   uuid   NOT NULL REFERENCES catalog.tracks (id) ON DELETE CASCADE,
    tag_id     bigint NOT NULL REFERENCES catalog.tags (id),
    created_at timestamptz NOT NULL, -- the track's
    PRIMARY KEY (track_id, tag_id)
);
CREATE INDEX track_tags_feed_idx ON catalog.track_tags (tag_id, created_at DESC, track_id DESC);

-- +goose Down
DROP TABLE catalog.track_tags;
DROP TABLE catalog.tags;
ALTER TABLE catalog.tracks
    DROP COLUMN deleting, DROP COLUMN image_thumb_url, DROP COLUMN image_url, DROP COLUMN image_id,
    DROP COLUMN features, DROP COLUMN album_id;
DROP TABLE catalog.albums;
