-- name: UpsertAccount :one
-- UpsertAccount creates the account or refreshes its handle, which can change at any time.
INSERT INTO identity.accounts (did, handle)
VALUES ($1, $2)
ON CONFLICT (did) DO UPDATE
    SET handle = EXCLUDED.handle,
        updated_at = CASE WHEN identity.accounts.handle = EXCLUDED.handle
                          THEN identity.accounts.updated_at ELSE now() END
RETURNING *;

-- name: GetAccount :one
SELECT * FROM identity.accounts WHERE did = $1;

-- name: ListHandles :many
SELECT did, handle FROM identity.accounts WHERE did = ANY(@dids::text[]);

-- name: EnsureAccount :exec
-- EnsureAccount makes a placeholder account for a DID seen for the first time (the grant
-- arrives before plyr has resolved the handle); UpdateAccountProfile fills it in.
INSERT INTO identity.accounts (did, handle) VALUES ($1, 'handle.invalid')
ON CONFLICT (did) DO NOTHING;

-- name: UpdateAccountProfile :exec
UPDATE identity.accounts
SET handle = $2, avatar_url = $3, pds_url = $4, updated_at = now()
WHERE did = $1;

-- name: GetMe :one
-- GetMe is the account with its feature flags and whether terms are accepted, in one trip.
SELECT a.did, a.handle, a.avatar_url,
       COALESCE((SELECT array_agg(f.flag ORDER BY f.flag) FROM identity.feature_flags f WHERE f.did = a.did),
                '{}')::text[] AS flags,
       (SELECT p.terms_accepted_at FROM identity.preferences p WHERE p.did = a.did) AS terms_accepted_at
FROM identity.accounts a
WHERE a.did = $1;
