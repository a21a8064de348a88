-- name: GuardPlay :one
-- GuardPlay decides whether a listener's play of a track counts: it does when none of
-- theirs counted since @counted_since. One statement, so of concurrent replays one counts.
INSERT INTO catalog.play_guards AS g (listener, track_id, counted_at) VALUES (@listener, @track_id, @counted_at)
ON CONFLICT (listener, track_id) DO UPDATE SET counted_at = EXCLUDED.counted_at
WHERE g.counted_at <= @counted_since
RETURNING g.counted_at;

-- name: InsertPlay :one
INSERT INTO catalog.plays (track_id, listener_did, visitor, listened_ms, share_ref, played_at, handoff_pending)
VALUES (@track_id, sqlc.narg(listener_did), sqlc.narg(visitor), @listened_ms, sqlc.narg(share_ref), @played_at, @handoff_pending)
RETURNING id;

-- name: SetPlayHandedOff :exec
UPDATE catalog.plays SET handoff_pending = false WHERE id = @id AND handoff_pending;

-- name: PendingPlayHandoffs :many
-- PendingPlayHandoffs are counted plays whose hand-off has not succeeded since before
-- @before, oldest first.
SELECT id, track_id, listener_did, visitor, listened_ms, share_ref, played_at FROM catalog.plays
WHERE handoff_pending AND played_at < @before
ORDER BY played_at LIMIT @max_rows;

-- name: AddPlay :one
UPDATE catalog.tracks SET play_count = play_count + 1 WHERE id = @id RETURNING play_count;

-- name: AddPlayDay :exec
INSERT INTO catalog.track_play_days (day, track_id, plays) VALUES (@day, @track_id, 1)
ON CONFLICT (day, track_id) DO UPDATE SET plays = catalog.track_play_days.plays + 1;

-- name: GetPlayable :one
-- GetPlayable is what a play report needs of its track.
SELECT id, status, deleting, taken_down, duration_ms, play_count FROM catalog.tracks WHERE id = $1;

-- name: ForgetPlayGuards :execrows
DELETE FROM catalog.play_guards WHERE counted_at < @before;

-- name: GetVisitorSalt :one
-- GetVisitorSalt returns the day's salt, made by the first process to ask.
INSERT INTO catalog.visitor_salts (day, salt) VALUES (@day, @salt)
ON CONFLICT (day) DO UPDATE SET day = EXCLUDED.day
RETURNING salt;

-- name: ForgetVisitorSalts :execrows
DELETE FROM catalog.visitor_salts WHERE day < @before;

-- name: TopTracksByLikes :many
SELECT id, like_count AS count FROM catalog.tracks
WHERE status = 'ready' AND NOT taken_down AND NOT deleting AND like_count > 0
ORDER BY like_count DESC, id LIMIT @max_rows;

-- name: TopTracksByPlays :many
SELECT id, play_count AS count FROM catalog.tracks
WHERE status = 'ready' AND NOT taken_down AND NOT deleting AND play_count > 0
ORDER BY play_count DESC, id LIMIT @max_rows;

-- name: TopTracksByRecentLikes :many
SELECT l.track_id AS id, count(*) AS count FROM catalog.likes l
WHERE l.created_at >= @since
GROUP BY l.track_id ORDER BY count(*) DESC, l.track_id LIMIT @max_rows;

-- name: TopTracksByRecentPlays :many
SELECT d.track_id AS id, sum(d.plays)::bigint AS count FROM catalog.track_play_days d
WHERE d.day >= @since::date
GROUP BY d.track_id ORDER BY sum(d.plays) DESC, d.track_id LIMIT @max_rows;

-- name: PlatformStats :one
SELECT COALESCE(sum(play_count), 0)::bigint AS total_plays, count(*) AS total_tracks,
       count(DISTINCT artist_did) AS total_artists, (COALESCE(sum(duration_ms), 0) / 1000)::bigint AS total_duration_seconds
FROM catalog.tracks WHERE status = 'ready' AND NOT taken_down AND NOT deleting;
