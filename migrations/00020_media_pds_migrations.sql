-- Migrations of artists' audio to their PDS: one row per batch the artist started
-- (workflow pdsmigration/<did>/<id>), one per track in it with what became of it. Counts
-- and the last track are read from the items.

-- +goose Up
CREATE TABLE media.pds_migrations (
    id          uuid PRIMARY KEY,
    did         text NOT NULL,
    status      text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX pds_migrations_did_idx ON media.pds_migrations (did, created_at DESC, id DESC);
CREATE INDEX pds_migrations_created_idx ON media.pds_migrations (created_at DESC, id DESC);

CREATE TABLE media.pds_migration_items (
    migration_id uuid NOT NULL REFERENCES media.pds_migrations (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    track_id     uuid NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'migrated', 'skipped', 'failed')),
    reason       text NOT NULL DEFAULT '',
    settled_at   timestamptz,
    PRIMARY KEY (migration_id, track_id)
);

-- +goose Down
DROP TABLE media.pds_migration_items;
DROP TABLE media.pds_migrations;
