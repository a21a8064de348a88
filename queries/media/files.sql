-- name: CreateFile :exec
-- CreateFile records a stored, validated audio object. The id comes from the upload, so a
-- retried step finds the row already there and changes nothing.
INSERT INTO media.files (id, owner_did, storage_key, content_type, format, codec, size_bytes,
                         duration_ms, sample_rate, channels, sha256, source_file_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, sqlc.narg(source_file_id))
ON CONFLICT (id) DO NOTHING;

-- name: GetFile :one
SELECT * FROM media.files WHERE id = $1;

-- name: DeleteFile :execrows
DELETE FROM media.files WHERE id = $1;

-- name: SetFileGate :one
-- SetFileGate says who may read a file: its owner and their supporters only (gated), or
-- anyone.
UPDATE media.files SET gated = @gated WHERE id = @id RETURNING *;

-- name: SetFilePrivate :execrows
-- SetFilePrivate records that a file's bytes are now in the private bucket (or the public
-- one), unless its gate changed again meanwhile (the next pass moves it back).
UPDATE media.files SET private = @private WHERE id = @id AND gated = @private;

-- name: OwnedFiles :many
-- OwnedFiles are those of @ids that are @owner's.
SELECT * FROM media.files WHERE id = ANY(@ids::uuid[]) AND owner_did = @owner;

-- name: SetFilesTakenDown :exec
-- SetFilesTakenDown closes files to anyone but their owner (a takedown), or opens them.
UPDATE media.files SET taken_down = @taken_down WHERE id = ANY(@ids::uuid[]) AND taken_down <> @taken_down;
