-- name: CreateUpload :one
-- CreateUpload records an accepted upload. When the account already has an upload of the
-- same bytes that is processing or ready, nothing is inserted and that upload is returned
-- instead (its id differs from the one asked for).
WITH inserted AS (
    INSERT INTO media.uploads (id, track_id, file_id, owner_did, title, filename, size_bytes, staging_key, sha256, status)
    VALUES (@id, @track_id, @file_id, @owner_did, @title, @filename, @size_bytes, @staging_key, @sha256, 'processing')
    ON CONFLICT (owner_did, sha256) WHERE sha256 IS NOT NULL AND status IN ('processing', 'ready') DO NOTHING
    RETURNING id, track_id, file_id
)
SELECT id, track_id, file_id FROM inserted
UNION ALL
SELECT u.id, u.track_id, u.file_id FROM media.uploads u
WHERE u.owner_did = @owner_did AND u.sha256 = @sha256 AND u.status IN ('processing', 'ready')
  AND NOT EXISTS (SELECT 1 FROM inserted)
LIMIT 1;

-- name: ForgetUploadBytes :exec
-- ForgetUploadBytes clears the hash of the upload that brought a file whose track is
-- gone, so the same bytes may be uploaded again.
UPDATE media.uploads SET sha256 = NULL WHERE file_id = $1;

-- name: GetUpload :one
SELECT * FROM media.uploads WHERE id = $1;

-- name: FinishUpload :execrows
-- FinishUpload records how an upload ended. Only the first ending counts, so a retried
-- step cannot overwrite it.
UPDATE media.uploads
SET status = @status, error = @error, finished_at = now()
WHERE id = @id AND status = 'processing';
