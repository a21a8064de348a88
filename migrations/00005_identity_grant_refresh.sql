-- +goose Up
-- A refresh lease: whoever holds it (a plyr process, until lease_until) may spend the
-- grant's refresh token. It replaces a transaction-scoped advisory lock, which held a
-- database connection for as long as the authorization server took to answer.
ALTER TABLE identity.grants
    ADD COLUMN refresh_owner       uuid,
    ADD COLUMN refresh_lease_until timestamptz;

-- +goose Down
ALTER TABLE identity.grants
    DROP COLUMN refresh_owner,
    DROP COLUMN refresh_lease_until;
