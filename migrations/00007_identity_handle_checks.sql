-- +goose Up
-- When an account showing handle.invalid last had its handle checked: the housekeeping
-- sweep re-verifies the least recently checked first, a few per run.
ALTER TABLE identity.accounts ADD COLUMN handle_checked_at timestamptz;
CREATE INDEX accounts_unverified_idx ON identity.accounts (handle_checked_at NULLS FIRST)
    WHERE handle = 'handle.invalid';

-- +goose Down
DROP INDEX identity.accounts_unverified_idx;
ALTER TABLE identity.accounts DROP COLUMN handle_checked_at;
