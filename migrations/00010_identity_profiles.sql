-- Accounts keep the display name of their Bluesky profile (app.bsky.actor.profile on their
-- own PDS), read at sign-in with the avatar: the catalog shows it for artists who never
-- set one in plyr. Accounts are found by handle for artist pages (/u/<handle>).

-- +goose Up
ALTER TABLE identity.accounts ADD COLUMN display_name text NOT NULL DEFAULT '';
CREATE INDEX accounts_handle_idx ON identity.accounts (handle) WHERE handle <> 'handle.invalid';

-- +goose Down
DROP INDEX identity.accounts_handle_idx;
ALTER TABLE identity.accounts DROP COLUMN display_name;
