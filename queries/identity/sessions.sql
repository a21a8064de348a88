-- name: CreateSession :one
INSERT INTO identity.sessions (id, token_hash, token_prefix, did, kind, name, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: GetSessionByTokenHash :one
-- GetSessionByTokenHash finds the live session for a token, with its account's handle.
SELECT s.id, s.did, s.kind, s.expires_at, a.handle
FROM identity.sessions s
JOIN identity.accounts a ON a.did = s.did
WHERE s.token_hash = $1 AND s.expires_at > now();

-- name: DeleteExpiredSessions :execrows
DELETE FROM identity.sessions WHERE expires_at <= now();
