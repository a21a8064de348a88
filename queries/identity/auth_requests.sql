-- name: CreateAuthRequest :exec
INSERT INTO identity.auth_requests (state, sealed_data, flow, session_id, expected_did, token_name,
                                    token_ttl_seconds, return_to, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: SaveAuthRequestData :exec
-- SaveAuthRequestData stores indigo's request data for a state; a state plyr did not start
-- is a plain login.
INSERT INTO identity.auth_requests (state, sealed_data, flow, expires_at)
VALUES ($1, $2, 'login', $3)
ON CONFLICT (state) DO UPDATE SET sealed_data = EXCLUDED.sealed_data;

-- name: GetAuthRequest :one
SELECT * FROM identity.auth_requests WHERE state = $1 AND expires_at > now();

-- name: DeleteAuthRequest :exec
DELETE FROM identity.auth_requests WHERE state = $1;

-- name: DeleteExpiredAuthRequests :execrows
DELETE FROM identity.auth_requests WHERE expires_at <= now();
