-- name: CreateDraftTrack :exec
-- CreateDraftTrack records a track whose upload is being processed. Running it again for
-- the same id changes nothing, so a retried workflow step is harmless.
INSERT INTO catalog.tracks (id, artist_did, title, status, created_at)
VALUES ($1, $2, $3, 'processing', $4)
ON CONFLICT (id) DO NOTHING;

-- name: PublishTrack :execrows
-- PublishTrack makes a track playable. It is idempotent: publishing a ready track again with
-- the same file sets the same values.
UPDATE catalog.tracks
SET status = 'ready', file_id = $2, duration_ms = $3, updated_at = now()
WHERE id = $1;

-- name: DeleteDraftTrack :execrows
-- DeleteDraftTrack removes a track whose upload was abandoned. A ready track is never
-- removed this way.
DELETE FROM catalog.tracks WHERE id = $1 AND status = 'processing';

-- name: GetTrack :one
SELECT * FROM catalog.tracks WHERE id = $1;

-- name: ListReadyTracks :many
-- ListReadyTracks is the public feed: ready tracks strictly before the cursor, newest first.
SELECT * FROM catalog.tracks
WHERE status = 'ready'
  AND (created_at, id) < (@before_created_at::timestamptz, @before_id::uuid)
ORDER BY created_at DESC, id DESC
LIMIT @page_limit;

-- name: ListArtistTracks :many
-- ListArtistTracks is one artist's tracks strictly before the cursor, newest first; tracks
-- still processing are included only when asked for (the artist looking at their own).
SELECT * FROM catalog.tracks
WHERE artist_did = @artist_did
  AND (status = 'ready' OR @include_processing::boolean)
  AND (created_at, id) < (@before_created_at::timestamptz, @before_id::uuid)
ORDER BY created_at DESC, id DESC
LIMIT @page_limit;
