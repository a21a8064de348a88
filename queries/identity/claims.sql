-- name: CreateTokenClaim :exec
INSERT INTO identity.token_claims (code_hash, session_id, token_session_id, expires_at)
VALUES ($1, $2, $3, $4);

-- name: TakeTokenClaim :one
-- TakeTokenClaim spends a claim code: it works once, only for the session it was made for.
DELETE FROM identity.token_claims
WHERE code_hash = $1 AND session_id = $2 AND expires_at > now()
RETURNING token_session_id;
