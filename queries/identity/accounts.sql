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
SET handle = $2, avatar_url = $3, pds_url = $4, display_name = $5, updated_at = now()
WHERE did = $1;

-- name: ListProfiles :many
-- ListProfiles is what the catalog shows of accounts: handle, display name, avatar, and
-- the preferences that are public (support link, whether likes show on the profile).
SELECT a.did, a.handle, a.display_name, a.avatar_url,
       COALESCE(p.support_url, '')::text AS support_url,
       COALESCE(p.show_liked_on_profile, false)::boolean AS show_liked_on_profile,
       COALESCE(p.allow_comments, true)::boolean AS allow_comments
FROM identity.accounts a
LEFT JOIN identity.preferences p ON p.did = a.did
WHERE a.did = ANY(@dids::text[]);

-- name: SearchAccountsByPrefix :many
-- SearchAccountsByPrefix is the accounts whose handle starts with @prefix (a LIKE pattern),
-- by handle.
SELECT did, handle, display_name, avatar_url FROM identity.accounts
WHERE handle LIKE @prefix::text AND handle <> 'handle.invalid'
ORDER BY handle
LIMIT @max_rows;

-- name: SearchAccountsByHandle :many
-- SearchAccountsByHandle is the @max_rows accounts whose handle has the stretch most like
-- @q, best first, however alike (the caller keeps the good ones); one ORDER BY, the
-- index's distance, since a second key would sort every account.
SELECT did, handle, display_name, avatar_url, word_similarity(@q::text, handle)::real AS score
FROM identity.accounts
WHERE handle <> 'handle.invalid'
ORDER BY @q::text <<-> handle
LIMIT @max_rows;

-- name: SearchAccountsByName :many
-- SearchAccountsByName is the same over display names.
SELECT did, handle, display_name, avatar_url, word_similarity(@q::text, display_name)::real AS score
FROM identity.accounts
WHERE handle <> 'handle.invalid'
ORDER BY @q::text <<-> display_name
LIMIT @max_rows;

-- name: GetDIDByHandle :one
-- GetDIDByHandle finds the account that shows handle (verified both ways when stored).
SELECT did FROM identity.accounts WHERE handle = $1 AND handle <> 'handle.invalid';

-- name: GetMe :one
-- GetMe is the account with its feature flags and whether terms are accepted, in one trip.
SELECT a.did, a.handle, a.avatar_url,
       COALESCE((SELECT array_agg(f.flag ORDER BY f.flag) FROM identity.feature_flags f WHERE f.did = a.did),
                '{}')::text[] AS flags,
       (SELECT p.terms_accepted_at FROM identity.preferences p WHERE p.did = a.did) AS terms_accepted_at,
       COALESCE((SELECT p.terms_version FROM identity.preferences p WHERE p.did = a.did), '')::text AS terms_version
FROM identity.accounts a
WHERE a.did = $1;

-- name: TakeUnverifiedHandles :many
-- TakeUnverifiedHandles marks at most @max_rows accounts that show handle.invalid, and
-- were not checked since @checked_before, as checked now, and returns them to check (the
-- least recently checked first; two sweeps at once take different accounts).
UPDATE identity.accounts a
SET handle_checked_at = @now
FROM (
    SELECT u.did FROM identity.accounts u
    WHERE u.handle = 'handle.invalid' AND (u.handle_checked_at IS NULL OR u.handle_checked_at < @checked_before)
    ORDER BY u.handle_checked_at NULLS FIRST
    LIMIT @max_rows
    FOR UPDATE SKIP LOCKED
) picked
WHERE a.did = picked.did
RETURNING a.did, a.pds_url;

-- name: SetVerifiedHandle :execrows
-- SetVerifiedHandle stores a handle verified for an account that still shows handle.invalid.
UPDATE identity.accounts SET handle = $2, updated_at = now()
WHERE did = $1 AND handle = 'handle.invalid';
