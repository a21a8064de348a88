-- The sharing module: share links with what came of them (listen receipts), and teal.fm
-- scrobbles with the listener's status record. Tracks are the catalog's: rows here name
-- them by id only (no foreign key across modules); a link to a track that is gone shows as
-- such, and its scrobbles stay what they were.

-- +goose Up
CREATE SCHEMA sharing;

-- links: one per share action. code is 8 URL-safe characters from 48 random bits.
CREATE TABLE sharing.links (
    code         text COLLATE "C" PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_-]{8}$'),
    track_id     uuid NOT NULL,
    creator_did  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- last_used_at is when someone other than the creator last came or listened through
    -- the link: null until then, and such links are not listed.
    last_used_at timestamptz
);
-- A creator's used links, most recently used first (ListMyShareLinks).
CREATE INDEX links_creator_used_idx ON sharing.links (creator_did, last_used_at DESC, code DESC) WHERE last_used_at IS NOT NULL;
-- A cap on links made per account per hour counts these.
CREATE INDEX links_creator_recent_idx ON sharing.links (creator_did, created_at DESC);

-- link_uses: what each person did through a link, by kind: visits (opening the track from
-- it; a repeat within half an hour is the same visit) and plays (counted by the catalog's
-- rule). person is a DID, or the catalog's daily visitor hash for someone not signed in
-- (anonymous), so anonymous numbers stay apart from people.
CREATE TABLE sharing.link_uses (
    code      text COLLATE "C" NOT NULL REFERENCES sharing.links (code) ON DELETE CASCADE,
    kind      text NOT NULL CHECK (kind IN ('visit', 'play')),
    person    text NOT NULL,
    anonymous boolean NOT NULL,
    count     bigint NOT NULL DEFAULT 1 CHECK (count >= 1),
    first_at  timestamptz NOT NULL,
    last_at   timestamptz NOT NULL,
    PRIMARY KEY (code, kind, person)
);
CREATE INDEX link_uses_people_idx ON sharing.link_uses (code, kind, last_at DESC) WHERE NOT anonymous;

-- scrobbles: a listener's counted plays to be written as teal play records. The record's
-- key is a TID of the play's own start (made when the play was counted, never at write
-- time), so the same play arriving twice is one row and one record.
CREATE TABLE sharing.scrobbles (
    did          text NOT NULL,
    collection   text NOT NULL,
    rkey         text COLLATE "C" NOT NULL,
    track_id     uuid NOT NULL,
    track_name   text NOT NULL CHECK (char_length(track_name) BETWEEN 1 AND 256),
    artists      text[] NOT NULL CHECK (cardinality(artists) >= 1),
    duration_s   integer CHECK (duration_s >= 0),
    release_name text,
    origin_url   text NOT NULL,
    played_at    timestamptz NOT NULL,
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'written', 'failed')),
    failure      text,
    reason       text,
    uri          text,
    cid          text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (did, collection, rkey)
);
CREATE INDEX scrobbles_listener_idx ON sharing.scrobbles (did, played_at DESC, rkey DESC);
-- Housekeeping starts the writes a crash left unstarted.
CREATE INDEX scrobbles_pending_idx ON sharing.scrobbles (created_at) WHERE state = 'pending';

-- statuses: each scrobbler's status record (what they are playing) per collection. It
-- shows the latest play by play time; revision is that play's time in microseconds, so an
-- older play arriving late never replaces a newer one.
CREATE TABLE sharing.statuses (
    did             text NOT NULL,
    collection      text NOT NULL,
    revision        bigint NOT NULL,
    play_collection text NOT NULL,
    play_rkey       text COLLATE "C" NOT NULL,
    synced_revision bigint NOT NULL DEFAULT 0,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'written', 'failed')),
    failure         text,
    reason          text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (did, collection),
    FOREIGN KEY (did, play_collection, play_rkey) REFERENCES sharing.scrobbles (did, collection, rkey) ON DELETE CASCADE
);

-- +goose Down
DROP SCHEMA sharing CASCADE;
