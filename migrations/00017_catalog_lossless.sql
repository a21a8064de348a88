-- A track's lossless original (kept beside its playable MP3), its waveform, and the gate
-- that keeps its audio for the artist's supporters.

-- +goose Up
ALTER TABLE catalog.tracks
    ADD COLUMN original_file_id      uuid,
    ADD COLUMN original_file_type    text CHECK (original_file_type ~ '^[a-z0-9]{1,16}$'),
    ADD COLUMN original_content_type text,
    ADD COLUMN original_size_bytes   bigint CHECK (original_size_bytes > 0),
    -- Peaks from 0 to 255, evenly spread over the track (1,000 of them).
    ADD COLUMN waveform              bytea CHECK (octet_length(waveform) <= 4096),
    ADD COLUMN supporters_only       boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT tracks_original_whole CHECK (
        (original_file_id IS NULL) = (original_file_type IS NULL)
        AND (original_file_id IS NULL) = (original_content_type IS NULL));
CREATE INDEX tracks_original_file_idx ON catalog.tracks (original_file_id) WHERE original_file_id IS NOT NULL;

-- +goose Down
DROP INDEX catalog.tracks_original_file_idx;
ALTER TABLE catalog.tracks
    DROP CONSTRAINT tracks_original_whole,
    DROP COLUMN supporters_only, DROP COLUMN waveform, DROP COLUMN original_size_bytes,
    DROP COLUMN original_content_type, DROP COLUMN original_file_type, DROP COLUMN original_file_id;
