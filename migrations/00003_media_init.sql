-- Media owns uploads (one accepted POST /upload and how it ended) and files (a validated
-- audio object in storage, addressed by /audio/{file_id}).

-- +goose Up
CREATE SCHEMA media;

CREATE TABLE media.uploads (
    id          uuid PRIMARY KEY,
    track_id    uuid NOT NULL UNIQUE,
    file_id     uuid NOT NULL UNIQUE,
    owner_did   text NOT NULL,
    title       text NOT NULL,
    filename    text NOT NULL DEFAULT '',
    size_bytes  bigint NOT NULL CHECK (size_bytes >= 0),
    staging_key text NOT NULL,
    status      text NOT NULL CHECK (status IN ('processing', 'ready', 'rejected', 'failed')),
    error       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

CREATE INDEX uploads_owner_idx ON media.uploads (owner_did, created_at DESC);

CREATE TABLE media.files (
    id           uuid PRIMARY KEY,
    owner_did    text NOT NULL,
    storage_key  text NOT NULL UNIQUE,
    content_type text NOT NULL,
    format       text NOT NULL,
    codec        text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    duration_ms  integer NOT NULL CHECK (duration_ms > 0),
    sample_rate  integer NOT NULL,
    channels     integer NOT NULL,
    sha256       bytea NOT NULL CHECK (octet_length(sha256) = 32),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP SCHEMA media CASCADE;
