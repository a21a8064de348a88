-- Handle typeahead and artist search over the accounts plyr knows (no call to Bluesky),
-- and timed comments on by default: an artist turns them off, not on.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX accounts_handle_trgm ON identity.accounts USING gist (handle gist_trgm_ops);
CREATE INDEX accounts_display_name_trgm ON identity.accounts USING gist (display_name gist_trgm_ops);
ALTER TABLE identity.preferences ALTER COLUMN allow_comments SET DEFAULT true;

-- +goose Down
ALTER TABLE identity.preferences ALTER COLUMN allow_comments SET DEFAULT false;
DROP INDEX identity.accounts_display_name_trgm;
DROP INDEX identity.accounts_handle_trgm;
