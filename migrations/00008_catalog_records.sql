-- The catalog becomes an index of records on artists' PDSes. catalog.records keeps, for
-- every record plyr writes (a track's fm.plyr.track now; lists, profiles, likes and
-- comments as they arrive), what the record should be and what is known to be on the PDS:
--
--   revision         bumped by every change that should reach the PDS
--   synced_revision  the last revision the recordsync workflow wrote (or deleted)
--   absent           the record should not exist (a deletion under way)
--   state            pending until the wanted revision is on the PDS, then synced; failed
--                    (with a failure category and the reason shown to the owner) once the
--                    workflow gave up
--
-- Rows are keyed like the record itself: (did, kind, rkey), kind being the collection
-- without the namespace ('track', 'list', 'actor.profile'), so a deployment's namespace
-- (PLYR_ATPROTO_NAMESPACE) stays a setting.

-- +goose Up
CREATE TABLE catalog.records (
    did             text   NOT NULL,
    kind            text   NOT NULL CHECK (kind ~ '^[a-z][a-zA-Z.]*$'),
    rkey            text   NOT NULL CHECK (char_length(rkey) BETWEEN 1 AND 512 AND rkey ~ '^[a-zA-Z0-9._:~-]+$'),
    revision        bigint NOT NULL DEFAULT 1 CHECK (revision >= 1),
    synced_revision bigint NOT NULL DEFAULT 0 CHECK (synced_revision <= revision),
    absent          boolean NOT NULL DEFAULT false,
    uri             text,
    cid             text,
    state           text   NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'synced', 'failed')),
    failure         text   CHECK (failure IN ('network', 'auth', 'rejected', 'scope')),
    failure_reason  text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (did, kind, rkey),
    CHECK ((state = 'failed') = (failure IS NOT NULL)),
    CHECK (uri IS NULL OR uri LIKE 'at://%')
);

-- "My records that need attention": an artist's failed and pending records.
CREATE INDEX records_unsynced_idx ON catalog.records (did, kind) WHERE state <> 'synced';
-- The housekeeping sweep's pending records, oldest first.
CREATE INDEX records_pending_idx ON catalog.records (updated_at) WHERE state = 'pending';

-- catalog.record_key(created_at, id) is atproto.RecordKey in SQL: the TID of the entity's
-- creation time (microseconds), clock id from the last two bytes of its id (10 bits).
-- +goose StatementBegin
CREATE FUNCTION catalog.record_key(created_at timestamptz, id uuid) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    alphabet constant text := '234567abcdefghijklmnopqrstuvwxyz';
    raw      bytea := uuid_send(id);
    micros   bigint := floor(extract(epoch FROM created_at) * 1000000)::bigint;
    v        bigint;
    key      text := '';
BEGIN
    v := ((micros & x'1FFFFFFFFFFFFF'::bigint) << 10) | (((get_byte(raw, 14) << 8) | get_byte(raw, 15)) & 1023);
    FOR i IN 1..13 LOOP
        key := substr(alphabet, (v & 31)::int + 1, 1) || key;
        v := v >> 5;
    END LOOP;
    RETURN key;
END
$$;
-- +goose StatementEnd

-- Every track has a record key from its creation, and knows its audio's file type (the
-- record's fileType). Tracks from before were MP3: nothing else was accepted.
ALTER TABLE catalog.tracks
    ADD COLUMN record_rkey text,
    ADD COLUMN file_type   text CHECK (file_type ~ '^[a-z0-9]{1,16}$');
UPDATE catalog.tracks SET record_rkey = catalog.record_key(created_at, id);
UPDATE catalog.tracks SET file_type = 'mp3' WHERE status = 'ready';
-- A title is at most 256 bytes, as the record's (fm.plyr.track's maxLength counts UTF-8
-- bytes); rows from before are left as they are (NOT VALID) and fail their record instead.
ALTER TABLE catalog.tracks
    ADD CONSTRAINT tracks_title_bytes CHECK (octet_length(title) <= 256) NOT VALID,
    ALTER COLUMN record_rkey SET NOT NULL,
    ADD CONSTRAINT tracks_record_rkey_key UNIQUE (artist_did, record_rkey),
    ADD CONSTRAINT tracks_ready_has_type CHECK (status <> 'ready' OR file_type IS NOT NULL);

-- Ready tracks from before get a record to write (pending): the housekeeping sweep that
-- resumes stalled records starts their workflows.
INSERT INTO catalog.records (did, kind, rkey)
SELECT artist_did, 'track', record_rkey FROM catalog.tracks WHERE status = 'ready';

-- +goose Down
ALTER TABLE catalog.tracks
    DROP CONSTRAINT tracks_title_bytes,
    DROP CONSTRAINT tracks_ready_has_type,
    DROP CONSTRAINT tracks_record_rkey_key,
    DROP COLUMN file_type,
    DROP COLUMN record_rkey;
DROP FUNCTION catalog.record_key(timestamptz, uuid);
DROP TABLE catalog.records;
