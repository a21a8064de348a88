-- name: SaveGrant :exec
-- SaveGrant stores a new grant or its refreshed tokens.
INSERT INTO identity.grants (id, did, sealed_data, scope, confidential, access_expires_at, refreshed_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (id) DO UPDATE
    SET sealed_data = EXCLUDED.sealed_data,
        scope = EXCLUDED.scope,
        access_expires_at = EXCLUDED.access_expires_at,
        refreshed_at = EXCLUDED.refreshed_at,
        expires_at = EXCLUDED.expires_at;

-- name: GetGrant :one
SELECT * FROM identity.grants WHERE id = $1 AND did = $2;

-- name: GetGrantTimes :one
SELECT created_at, refreshed_at, access_expires_at, expires_at FROM identity.grants WHERE id = $1;

-- name: DeleteGrant :exec
DELETE FROM identity.grants WHERE id = $1;

-- name: GetGrantDID :one
SELECT did FROM identity.grants WHERE id = $1;

-- name: LockGrant :exec
-- LockGrant holds a grant's refresh lock until the transaction ends, across every plyr
-- process: only one may spend a refresh token.
SELECT pg_advisory_xact_lock(hashtextextended('plyr.grant:' || @grant_id::text, 0));
