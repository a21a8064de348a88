-- A track's audio as a blob on its artist's PDS: the blob as the PDS described it (for the
-- record's audioBlob), and how the last copy went.

-- +goose Up
ALTER TABLE catalog.tracks
    ADD COLUMN pds_blob   jsonb CHECK (jsonb_typeof(pds_blob) = 'object'),
    ADD COLUMN pds_state  text NOT NULL DEFAULT 'none' CHECK (pds_state IN ('none', 'on_pds', 'too_large', 'failed')),
    ADD COLUMN pds_reason text NOT NULL DEFAULT '',
    ADD CONSTRAINT tracks_pds_blob_state CHECK ((pds_blob IS NOT NULL) = (pds_state = 'on_pds'));

-- +goose Down
ALTER TABLE catalog.tracks
    DROP CONSTRAINT tracks_pds_blob_state, DROP COLUMN pds_reason, DROP COLUMN pds_state, DROP COLUMN pds_blob;
