-- Search: each kind matches by trigram similarity (q % name, at the threshold the
-- transaction sets) or by substring, best first. relevance is the similarity, raised
-- for a substring match so a word inside a long title still ranks.

-- name: SetSearchThreshold :exec
SELECT set_config('pg_trgm.similarity_threshold', @threshold::text, true);

-- name: SearchTracks :many
SELECT id, (GREATEST(similarity(title, @q::text), CASE WHEN title ILIKE @pattern::text THEN 0.5 ELSE 0 END))::real AS relevance
FROM catalog.tracks
WHERE status = 'ready' AND NOT deleting AND (title % @q::text OR title ILIKE @pattern::text)
ORDER BY relevance DESC, title <-> @q::text, id
LIMIT @max_rows;

-- name: CountTracksMatching :one
SELECT count(*) FROM (
    SELECT 1 FROM catalog.tracks
    WHERE status = 'ready' AND NOT deleting AND (title % @q::text OR title ILIKE @pattern::text)
    LIMIT @cap
) m;

-- name: SearchAlbums :many
SELECT id, (GREATEST(similarity(title, @q::text), CASE WHEN title ILIKE @pattern::text THEN 0.5 ELSE 0 END))::real AS relevance
FROM catalog.albums
WHERE NOT deleting AND (title % @q::text OR title ILIKE @pattern::text)
ORDER BY relevance DESC, id
LIMIT @max_rows;

-- name: CountAlbumsMatching :one
SELECT count(*) FROM (
    SELECT 1 FROM catalog.albums WHERE NOT deleting AND (title % @q::text OR title ILIKE @pattern::text) LIMIT @cap
) m;

-- name: SearchTags :many
SELECT t.name, (SELECT count(*) FROM catalog.track_tags tt WHERE tt.tag_id = t.id) AS track_count,
       (GREATEST(similarity(t.name, @q::text), CASE WHEN t.name LIKE @pattern::text THEN 0.5 ELSE 0 END))::real AS relevance
FROM catalog.tags t
WHERE t.name % @q::text OR t.name LIKE @pattern::text
ORDER BY relevance DESC, t.name
LIMIT @max_rows;

-- name: CountTagsMatching :one
SELECT count(*) FROM (
    SELECT 1 FROM catalog.tags WHERE name % @q::text OR name LIKE @pattern::text LIMIT @cap
) m;

-- name: SearchPlaylists :many
SELECT id, (GREATEST(similarity(name, @q::text), CASE WHEN name ILIKE @pattern::text THEN 0.5 ELSE 0 END))::real AS relevance
FROM catalog.playlists
WHERE NOT private AND (name % @q::text OR name ILIKE @pattern::text)
ORDER BY relevance DESC, id
LIMIT @max_rows;

-- name: CountPlaylistsMatching :one
SELECT count(*) FROM (
    SELECT 1 FROM catalog.playlists WHERE NOT private AND (name % @q::text OR name ILIKE @pattern::text) LIMIT @cap
) m;

-- name: ListArtistDIDs :many
-- ListArtistDIDs is which of @dids are artists with a ready track (artists rank above
-- listeners in search).
SELECT DISTINCT artist_did FROM catalog.tracks WHERE artist_did = ANY(@dids::text[]) AND status = 'ready' AND NOT deleting;
