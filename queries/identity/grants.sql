-- name: InsertGrant :execrows
-- InsertGrant stores a new grant; an existing one is left as it is (0 rows).
INSERT INTO identity.grants (id, did, sealed_data, scope, confidential, access_expires_at, refreshed_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (id) DO NOTHING;

-- name: GetGrantForUpdate :one
-- GetGrantForUpdate reads a grant and locks its row until the transaction ends (a short
-- read-modify-write of its sealed data, never across network I/O).
SELECT * FROM identity.grants WHERE id = $1 AND did = $2 FOR UPDATE;

-- name: UpdateGrantSealedData :exec
-- UpdateGrantSealedData replaces a grant's sealed data without touching its times (a
-- DPoP nonce changed).
UPDATE identity.grants SET sealed_data = $2 WHERE id = $1;

-- name: SaveRefreshedGrant :execrows
-- SaveRefreshedGrant stores the tokens of a refresh made under the lease owner holds,
-- and frees the lease. 0 rows: the lease was lost (or the grant deleted) meanwhile.
UPDATE identity.grants
SET sealed_data = @sealed_data,
    scope = @scope,
    access_expires_at = @access_expires_at,
    refreshed_at = @refreshed_at,
    expires_at = @expires_at,
    refresh_owner = NULL,
    refresh_lease_until = NULL
WHERE id = @id AND refresh_owner = @owner;

-- name: AcquireRefreshLease :one
-- AcquireRefreshLease takes a grant's refresh lease for owner when it is free or has
-- lapsed, and returns the access token's expiry as it stands. No row: another process
-- holds the lease, or the grant is gone.
UPDATE identity.grants
SET refresh_owner = @owner,
    refresh_lease_until = now() + make_interval(secs => @lease_seconds::float8)
WHERE id = @id AND (refresh_lease_until IS NULL OR refresh_lease_until < now())
RETURNING access_expires_at;

-- name: ReleaseRefreshLease :exec
-- ReleaseRefreshLease frees a lease owner holds (a refresh that did not save tokens).
UPDATE identity.grants SET refresh_owner = NULL, refresh_lease_until = NULL
WHERE id = @id AND refresh_owner = @owner;

-- name: LatestLiveGrant :one
-- LatestLiveGrant is the most recently refreshed grant of an account that has not
-- lapsed: how plyr reaches a PDS for work no browser session is part of (workflows).
SELECT id FROM identity.grants
WHERE did = $1 AND expires_at > now()
ORDER BY refreshed_at DESC, created_at DESC
LIMIT 1;

-- name: GetGrant :one
SELECT * FROM identity.grants WHERE id = $1 AND did = $2;

-- name: GetGrantTimes :one
SELECT created_at, refreshed_at, access_expires_at, expires_at FROM identity.grants WHERE id = $1;

-- name: DeleteGrant :exec
DELETE FROM identity.grants WHERE id = $1;

-- name: GetGrantDID :one
SELECT did FROM identity.grants WHERE id = $1;

