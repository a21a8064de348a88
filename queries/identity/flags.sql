-- name: SetFlag :exec
INSERT INTO identity.feature_flags (did, flag) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: UnsetFlag :execrows
DELETE FROM identity.feature_flags WHERE did = $1 AND flag = $2;

-- name: ListFlags :many
SELECT flag FROM identity.feature_flags WHERE did = $1 ORDER BY flag;
