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
