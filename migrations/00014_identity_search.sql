-- Handle typeahead and artist search over the accounts plyr knows (no call to Bluesky),
-- and timed comments on by default: an artist turns them off, not on.
--
-- A typeahead is a prefix most of the time (btree, text_pattern_ops); a misremembered
-- handle or a display name is found by word similarity, read best first from GiST
-- indexes (KNN), so neither sorts every account that matches a letter or two.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX accounts_handle_prefix ON identity.accounts (handle text_pattern_ops);
CREATE INDEX accounts_handle_trgm ON identity.accounts USING gist (handle gist_trgm_ops(siglen=64));
CREATE INDEX accounts_display_name_trgm ON identity.accounts USING gist (display_name gist_trgm_ops(siglen=64));
ALTER TABLE identity.preferences ALTER COLUMN allow_comments SET DEFAULT true;

-- +goose Down
ALTER TABLE identity.preferences ALTER COLUMN allow_comments SET DEFAULT false;
DROP INDEX identity.accounts_display_name_trgm;
DROP INDEX identity.accounts_handle_trgm;
DROP INDEX identity.accounts_handle_prefix;
