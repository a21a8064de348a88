-- name: EnsureArtist :exec
-- EnsureArtist makes the artist row of an account seen for the first time.
INSERT INTO catalog.artists (did) VALUES ($1) ON CONFLICT (did) DO NOTHING;

-- name: GetArtist :one
SELECT * FROM catalog.artists WHERE did = $1;

-- name: ListArtists :many
-- ListArtists is the artists among @dids with their profile record's state.
SELECT sqlc.embed(a), r.uri AS record_uri, r.cid AS record_cid, r.state AS record_state,
       r.failure AS record_failure, r.failure_reason AS record_failure_reason
FROM catalog.artists a
LEFT JOIN catalog.records r ON r.did = a.did AND r.kind = 'actor.profile' AND r.rkey = 'self'
WHERE a.did = ANY(@dids::text[]);

-- name: UpdateArtist :one
-- UpdateArtist sets what the artist changed (a NULL argument leaves its column alone).
UPDATE catalog.artists
SET display_name = COALESCE(sqlc.narg(display_name), display_name),
    bio          = COALESCE(sqlc.narg(bio), bio),
    updated_at   = now()
WHERE did = @did
RETURNING *;

-- name: ArtistAnalytics :one
-- ArtistAnalytics sums an artist's ready tracks.
SELECT count(*)::bigint AS items,
       COALESCE(sum(play_count), 0)::bigint AS plays,
       COALESCE(sum(duration_ms), 0)::bigint AS duration_ms
FROM catalog.tracks WHERE artist_did = $1 AND status = 'ready' AND NOT taken_down;

-- name: TopPlayedTrack :one
SELECT id, title, play_count FROM catalog.tracks
WHERE artist_did = $1 AND status = 'ready' AND NOT taken_down AND play_count > 0
ORDER BY play_count DESC, created_at DESC LIMIT 1;

-- name: TopLikedTrack :one
SELECT id, title, like_count FROM catalog.tracks
WHERE artist_did = $1 AND status = 'ready' AND NOT taken_down AND like_count > 0
ORDER BY like_count DESC, created_at DESC LIMIT 1;
