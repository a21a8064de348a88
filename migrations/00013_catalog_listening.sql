-- The listener side of the catalog: likes, timed comments, playlists, plays, the play
-- queue and what each account is playing now.
--
-- Likes, comments and playlists are records on the listener's PDS (fm.plyr.like,
-- fm.plyr.comment, fm.plyr.list), tracked in catalog.records like tracks are; each row
-- keeps the strongRef (URI and CID) of the track record it points at, taken when it was
-- made, so its record can be built without asking anything else. Deleting a like or a
-- comment deletes its row at once and revises its record to absent: the recordsync
-- workflow deletes it from the PDS.
--
-- Counters on tracks (like_count, comment_count, play_count) are kept in the same
-- transaction as the rows they count, so a track view reads them and never counts.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE catalog.likes (
    id          uuid NOT NULL UNIQUE,
    did         text NOT NULL,
    track_id    uuid NOT NULL REFERENCES catalog.tracks (id) ON DELETE CASCADE,
    record_rkey text NOT NULL,
    subject_uri text NOT NULL CHECK (subject_uri LIKE 'at://%'),
    subject_cid text NOT NULL,
    -- sort_key orders the listener's "Liked" list, ascending: minus the like's time in
    -- microseconds (newest first) until the listener reorders it (0, 1, 2…); a like made
    -- after a reorder still goes to the top.
    sort_key    bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (did, track_id),
    UNIQUE (did, record_rkey)
);
-- Likers of a track, newest first.
CREATE INDEX likes_track_idx ON catalog.likes (track_id, created_at DESC, did);
-- A listener's liked tracks in their list's order.
CREATE INDEX likes_order_idx ON catalog.likes (did, sort_key, track_id);
-- Most liked over a window.
CREATE INDEX likes_recent_idx ON catalog.likes (created_at);

-- A listener's "Liked" list record (listType liked), made with their first like.
CREATE TABLE catalog.liked_lists (
    did         text PRIMARY KEY,
    record_rkey text NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (did, record_rkey)
);

CREATE TABLE catalog.comments (
    id           uuid PRIMARY KEY,
    track_id     uuid NOT NULL REFERENCES catalog.tracks (id) ON DELETE CASCADE,
    did          text NOT NULL,
    record_rkey  text NOT NULL,
    subject_uri  text NOT NULL CHECK (subject_uri LIKE 'at://%'),
    subject_cid  text NOT NULL,
    text         text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 300),
    timestamp_ms integer NOT NULL CHECK (timestamp_ms >= 0),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz,
    UNIQUE (did, record_rkey)
);
CREATE INDEX comments_track_idx ON catalog.comments (track_id, timestamp_ms, created_at);
-- The per-account rate limit counts an author's recent comments.
CREATE INDEX comments_author_idx ON catalog.comments (did, created_at DESC);

CREATE TABLE catalog.playlists (
    id              uuid PRIMARY KEY,
    owner_did       text NOT NULL,
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64 AND octet_length(name) <= 256),
    record_rkey     text NOT NULL,
    show_on_profile boolean NOT NULL DEFAULT false,
    -- private: kept in plyr alone (records on a PDS are public), its record removed.
    private         boolean NOT NULL DEFAULT false,
    image_id        uuid,
    image_url       text NOT NULL DEFAULT '',
    image_thumb_url text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner_did, record_rkey),
    CHECK (NOT (private AND show_on_profile))
);
CREATE INDEX playlists_owner_idx ON catalog.playlists (owner_did, created_at DESC, id DESC);
CREATE INDEX playlists_image_idx ON catalog.playlists (image_id) WHERE image_id IS NOT NULL;
CREATE INDEX playlists_name_trgm ON catalog.playlists USING gist (name gist_trgm_ops(siglen=64)) WHERE NOT private;

-- A playlist's entries in order. An entry whose track was deleted keeps its strongRef
-- (the record still lists it) and shows as unavailable.
CREATE TABLE catalog.playlist_items (
    id          uuid PRIMARY KEY,
    playlist_id uuid NOT NULL REFERENCES catalog.playlists (id) ON DELETE CASCADE,
    position    integer NOT NULL CHECK (position >= 0),
    track_id    uuid REFERENCES catalog.tracks (id) ON DELETE SET NULL,
    subject_uri text NOT NULL CHECK (subject_uri LIKE 'at://%'),
    subject_cid text NOT NULL,
    added_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (playlist_id, position) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE (playlist_id, subject_uri)
);
CREATE INDEX playlist_items_track_idx ON catalog.playlist_items (track_id) WHERE track_id IS NOT NULL;

-- Plays: append-only, one row per counted play. A listener is an account (listener_did)
-- or an anonymous visitor (visitor: a keyed hash of their address and browser that
-- changes every day, so no address is kept).
CREATE TABLE catalog.plays (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    track_id     uuid NOT NULL REFERENCES catalog.tracks (id) ON DELETE CASCADE,
    listener_did text,
    visitor      text,
    listened_ms  bigint NOT NULL CHECK (listened_ms >= 0),
    share_ref    text CHECK (char_length(share_ref) <= 32),
    played_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((listener_did IS NULL) <> (visitor IS NULL))
);
CREATE INDEX plays_track_idx ON catalog.plays (track_id, played_at DESC);
CREATE INDEX plays_listener_idx ON catalog.plays (listener_did, played_at DESC) WHERE listener_did IS NOT NULL;

-- play_guards is when each listener's play of each track last counted: a report within
-- the counting window of that counts nothing (one upsert decides, so concurrent replays
-- of one report cannot both count). Housekeeping forgets guards older than the window.
CREATE TABLE catalog.play_guards (
    listener   text NOT NULL,
    track_id   uuid NOT NULL,
    counted_at timestamptz NOT NULL,
    PRIMARY KEY (listener, track_id)
);
CREATE INDEX play_guards_age_idx ON catalog.play_guards (counted_at);

-- visitor_salts: one random salt per day for the anonymous visitor hash, shared by every
-- server process; housekeeping drops yesterday's, after which a visitor's hash cannot be
-- recomputed from their address.
CREATE TABLE catalog.visitor_salts (
    day  date PRIMARY KEY,
    salt bytea NOT NULL CHECK (octet_length(salt) = 32)
);

-- Plays per track per day, kept with each play: charts over a window read these.
CREATE TABLE catalog.track_play_days (
    day      date   NOT NULL,
    track_id uuid   NOT NULL REFERENCES catalog.tracks (id) ON DELETE CASCADE,
    plays    bigint NOT NULL CHECK (plays > 0),
    PRIMARY KEY (day, track_id)
);
CREATE INDEX track_play_days_track_idx ON catalog.track_play_days (track_id);
CREATE INDEX tracks_likes_idx ON catalog.tracks (like_count DESC, id) WHERE status = 'ready' AND like_count > 0;
CREATE INDEX tracks_plays_idx ON catalog.tracks (play_count DESC, id) WHERE status = 'ready' AND play_count > 0;

-- The play queue of each account; revision is bumped by every write and sent as its ETag.
CREATE TABLE catalog.queues (
    did        text PRIMARY KEY,
    state      jsonb NOT NULL CHECK (jsonb_typeof(state) = 'object'),
    revision   bigint NOT NULL CHECK (revision >= 1),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- What each account is playing, shared by every server process. Losing it in a crash
-- costs nothing (it is renewed every few seconds), hence unlogged.
CREATE UNLOGGED TABLE catalog.now_playing (
    did         text PRIMARY KEY,
    track_id    uuid NOT NULL,
    progress_ms bigint NOT NULL CHECK (progress_ms >= 0),
    is_playing  boolean NOT NULL,
    reported_at timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- Search: GiST trigram indexes, which answer "the titles whose words best match q" in
-- order (word-similarity KNN: q <<-> title) without ranking every match. A 64-byte
-- signature (the default is 12) keeps a misspelt query from wading through false
-- positives: measured at 1M titles, 82 ms instead of 200 for a misspelling, under 1 ms
-- for a common word.
CREATE INDEX tracks_title_trgm ON catalog.tracks USING gist (title gist_trgm_ops(siglen=64)) WHERE status = 'ready' AND NOT deleting;
CREATE INDEX albums_title_trgm ON catalog.albums USING gist (title gist_trgm_ops(siglen=64)) WHERE NOT deleting;
CREATE INDEX tags_name_trgm ON catalog.tags USING gist (name gist_trgm_ops(siglen=64));

-- +goose Down
DROP INDEX catalog.tags_name_trgm;
DROP INDEX catalog.albums_title_trgm;
DROP INDEX catalog.tracks_title_trgm;
DROP INDEX catalog.tracks_plays_idx;
DROP INDEX catalog.tracks_likes_idx;
DROP TABLE catalog.now_playing;
DROP TABLE catalog.queues;
DROP TABLE catalog.track_play_days;
DROP TABLE catalog.visitor_salts;
DROP TABLE catalog.play_guards;
DROP TABLE catalog.plays;
DROP TABLE catalog.playlist_items;
DROP TABLE catalog.playlists;
DROP TABLE catalog.comments;
DROP TABLE catalog.liked_lists;
DROP TABLE catalog.likes;
