-- name: GetQueue :one
SELECT * FROM catalog.queues WHERE did = $1;

-- name: PutQueue :one
-- PutQueue writes the queue when its revision is still @expected (or unconditionally when
-- @expected is -1) and returns it with its new revision; no row when the revision moved.
-- Every process watching the account is told through NOTIFY, sent at commit.
WITH written AS (
    INSERT INTO catalog.queues AS q (did, state, revision, updated_at)
    VALUES (@did, @state, 1, now())
    ON CONFLICT (did) DO UPDATE SET state = EXCLUDED.state, revision = q.revision + 1, updated_at = now()
    WHERE @expected::bigint = -1 OR q.revision = @expected::bigint
    RETURNING q.*
)
SELECT w.did, w.state, w.revision, w.updated_at, pg_notify('catalog_queue', w.did || ' ' || w.revision)::text AS notified
FROM written w;

-- name: SetNowPlaying :exec
INSERT INTO catalog.now_playing (did, track_id, progress_ms, is_playing, reported_at, expires_at)
VALUES (@did, @track_id, @progress_ms, @is_playing, @reported_at, @expires_at)
ON CONFLICT (did) DO UPDATE SET track_id = EXCLUDED.track_id, progress_ms = EXCLUDED.progress_ms,
    is_playing = EXCLUDED.is_playing, reported_at = EXCLUDED.reported_at, expires_at = EXCLUDED.expires_at;

-- name: ClearNowPlaying :exec
DELETE FROM catalog.now_playing WHERE did = $1;

-- name: GetNowPlaying :one
SELECT * FROM catalog.now_playing WHERE did = $1 AND expires_at > now();

-- name: ForgetNowPlaying :execrows
DELETE FROM catalog.now_playing WHERE expires_at <= now();
