-- An account's choice to have its tracks' audio copied to its own PDS as blobs (with the
-- pds-audio-uploads feature flag).

-- +goose Up
ALTER TABLE identity.preferences ADD COLUMN pds_audio_uploads boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE identity.preferences DROP COLUMN pds_audio_uploads;
