-- name: InsertScrobble :execrows
-- InsertScrobble records a play to scrobble; 0 rows when this play is recorded already.
INSERT INTO sharing.scrobbles (did, collection, rkey, track_id, track_name, artists, duration_s, release_name, origin_url, played_at)
VALUES (@did, @collection, @rkey, @track_id, @track_name, @artist_names, @duration_s, @release_name, @origin_url, @played_at)
ON CONFLICT (did, collection, rkey) DO NOTHING;

-- name: GetScrobble :one
SELECT * FROM sharing.scrobbles WHERE did = @did AND collection = @collection AND rkey = @rkey;

-- name: SettleScrobble :exec
UPDATE sharing.scrobbles
SET state = @state, failure = @failure, reason = @reason, uri = @uri, cid = @cid
WHERE did = @did AND collection = @collection AND rkey = @rkey;

-- name: ListScrobbles :many
SELECT * FROM sharing.scrobbles
WHERE did = @did AND (played_at, rkey) < (@before_at::timestamptz, @before_rkey::text)
ORDER BY played_at DESC, rkey DESC
LIMIT @page_size;

-- name: PendingScrobbles :many
-- PendingScrobbles are scrobbles still pending that were recorded before stalled_since:
-- their write's start was lost (the process died), or is very late.
SELECT did, collection, rkey FROM sharing.scrobbles
WHERE state = 'pending' AND created_at < @stalled_since
ORDER BY created_at
LIMIT @max_rows;

-- name: AdvanceStatus :execrows
-- AdvanceStatus points a listener's status at a play when it is newer (by play time) than
-- the one it shows; 0 rows when it is not.
INSERT INTO sharing.statuses AS s (did, collection, revision, play_collection, play_rkey)
VALUES (@did, @collection, @revision, @play_collection, @play_rkey)
ON CONFLICT (did, collection) DO UPDATE
SET revision = EXCLUDED.revision, play_collection = EXCLUDED.play_collection, play_rkey = EXCLUDED.play_rkey,
    state = 'pending', failure = NULL, reason = NULL, updated_at = now()
WHERE s.revision < EXCLUDED.revision;

-- name: GetStatus :one
-- GetStatus is a listener's status with the play it shows.
SELECT s.revision, p.*
FROM sharing.statuses s
JOIN sharing.scrobbles p ON p.did = s.did AND p.collection = s.play_collection AND p.rkey = s.play_rkey
WHERE s.did = @did AND s.collection = @collection;

-- name: StatusWritten :one
-- StatusWritten records that revision is on the PDS; it returns the status's revision
-- now: newer than the one written means write again.
UPDATE sharing.statuses
SET synced_revision = greatest(synced_revision, @revision),
    state = CASE WHEN revision = @revision THEN 'written' ELSE state END,
    failure = CASE WHEN revision = @revision THEN NULL ELSE failure END,
    reason = CASE WHEN revision = @revision THEN NULL ELSE reason END
WHERE did = @did AND collection = @collection
RETURNING revision;

-- name: StatusFailed :exec
UPDATE sharing.statuses SET state = 'failed', failure = @failure, reason = @reason
WHERE did = @did AND collection = @collection;

-- name: PendingStatuses :many
SELECT did, collection FROM sharing.statuses
WHERE state = 'pending' AND updated_at < @stalled_since
ORDER BY updated_at
LIMIT @max_rows;
