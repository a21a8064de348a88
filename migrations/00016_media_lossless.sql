-- Lossless uploads, duplicate uploads and supporter-gated audio.
--
-- A lossless upload keeps two files: the original as uploaded (its row as before) and the
-- MP3 made from it, whose source_file_id names the original. gated says the file is for
-- the track's artist and their supporters only (who may read it); private says its bytes
-- are in the private bucket (where they are). The two differ only while a change of gate
-- moves the bytes.
--
-- An upload's sha256 is the hash of its body, taken while it streamed in: an account that
-- sends the same bytes again while the first upload is processing or ready gets that
-- upload back (a double click, a retried form), not a second track. A rejected or failed
-- upload frees its hash, and so does deleting its track (the hash is cleared).

-- +goose Up
ALTER TABLE media.files
    ADD COLUMN source_file_id uuid,
    ADD COLUMN gated          boolean NOT NULL DEFAULT false,
    ADD COLUMN private        boolean NOT NULL DEFAULT false;
CREATE INDEX files_source_idx ON media.files (source_file_id) WHERE source_file_id IS NOT NULL;

ALTER TABLE media.uploads
    ADD COLUMN sha256 bytea CHECK (octet_length(sha256) = 32);
CREATE UNIQUE INDEX uploads_same_bytes_idx ON media.uploads (owner_did, sha256)
    WHERE sha256 IS NOT NULL AND status IN ('processing', 'ready');

-- +goose Down
DROP INDEX media.uploads_same_bytes_idx;
ALTER TABLE media.uploads DROP COLUMN sha256;
DROP INDEX media.files_source_idx;
ALTER TABLE media.files DROP COLUMN private, DROP COLUMN gated, DROP COLUMN source_file_id;
