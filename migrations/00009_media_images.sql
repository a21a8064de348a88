-- Media owns images too: artwork an account uploaded (POST /images), kept in storage under
-- content-addressed keys (images/<sha256-hex>/original.<ext>, 512.webp, 96.webp) and served
-- by /images/{image_id}/{variant}. A row is one account's image; the same bytes uploaded
-- again by the same account are the same row, and accounts that upload the same bytes
-- share the objects (an image's objects go when its last row does).

-- +goose Up
CREATE TABLE media.images (
    id           uuid PRIMARY KEY,
    owner_did    text NOT NULL,
    sha256       bytea NOT NULL CHECK (octet_length(sha256) = 32),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/gif')),
    width        integer NOT NULL CHECK (width > 0),
    height       integer NOT NULL CHECK (height > 0),
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner_did, sha256)
);

-- Whether other rows still need an image's objects, when one is deleted.
CREATE INDEX images_sha256_idx ON media.images (sha256);

-- +goose Down
DROP TABLE media.images;
