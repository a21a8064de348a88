-- name: CreateUpload :exec
INSERT INTO media.uploads (id, track_id, file_id, owner_did, title, filename, size_bytes, staging_key, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'processing');

-- name: GetUpload :one
SELECT * FROM media.uploads WHERE id = $1;

-- name: FinishUpload :execrows
-- FinishUpload records how an upload ended. Only the first ending counts, so a retried
-- step cannot overwrite it.
UPDATE media.uploads
SET status = @status, error = @error, finished_at = now()
WHERE id = @id AND status = 'processing';
