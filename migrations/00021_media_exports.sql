-- An artist's exports: a zip of all their tracks (originals where kept) built by the export
-- workflow (export/<id>) into the private bucket, downloadable by its owner only, through a
-- short-lived URL, until it expires.

-- +goose Up
CREATE TABLE media.exports (
    id          uuid PRIMARY KEY,
    did         text NOT NULL,
    status      text NOT NULL CHECK (status IN ('running', 'ready', 'failed')),
    total       integer NOT NULL CHECK (total >= 0),
    processed   integer NOT NULL DEFAULT 0 CHECK (processed >= 0),
    size_bytes  bigint NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    expires_at  timestamptz
);
CREATE INDEX exports_did_idx ON media.exports (did, created_at DESC);
-- One export at a time per account.
CREATE UNIQUE INDEX exports_one_running_idx ON media.exports (did) WHERE status = 'running';
CREATE INDEX exports_expires_idx ON media.exports (expires_at) WHERE expires_at IS NOT NULL;

-- +goose Down
DROP TABLE media.exports;
