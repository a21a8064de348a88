-- name: CreateExport :one
-- CreateExport records an export of did's tracks, unless one is being built: then that
-- one is returned.
WITH running AS (
    SELECT e.* FROM media.exports e WHERE e.did = @did AND e.status = 'running' LIMIT 1
), created AS (
    INSERT INTO media.exports (id, did, status, total)
    SELECT @id, @did, 'running', @total WHERE NOT EXISTS (SELECT 1 FROM running)
    ON CONFLICT (did) WHERE status = 'running' DO NOTHING
    RETURNING *
)
SELECT * FROM created UNION ALL SELECT * FROM running;

-- name: GetExport :one
SELECT * FROM media.exports WHERE id = $1;

-- name: ExportProgress :exec
UPDATE media.exports SET processed = @processed WHERE id = @id AND status = 'running';

-- name: FinishExport :exec
UPDATE media.exports
SET status = @status, size_bytes = @size_bytes, error = @error, finished_at = now(),
    expires_at = CASE WHEN @status = 'ready' THEN now() + @keep::interval END,
    processed = CASE WHEN @status = 'ready' THEN total ELSE processed END
WHERE id = @id AND status = 'running';

-- name: ExpiredExports :many
SELECT id FROM media.exports WHERE expires_at < @now ORDER BY expires_at LIMIT @page_limit;

-- name: DeleteExport :exec
DELETE FROM media.exports WHERE id = $1;

-- name: ListExports :many
-- ListExports are did's exports that still mean something, newest first: one being built,
-- ready ones not yet expired, and failures of the last day.
SELECT * FROM media.exports
WHERE did = @did
  AND (status = 'running'
       OR (status = 'ready' AND expires_at > now())
       OR (status = 'failed' AND finished_at > now() - interval '1 day'))
ORDER BY created_at DESC
LIMIT 10;
