-- name: GetOrCreateAlbum :one
-- GetOrCreateAlbum returns the artist's album with this slug, making it (with the given id,
-- title, record key and time) if there is none. Two requests at once get the same album.
INSERT INTO catalog.albums (id, artist_did, slug, title, record_rkey, created_at)
VALUES (@id, @artist_did, @slug, @title, @record_rkey, @created_at)
ON CONFLICT (artist_did, slug) DO UPDATE SET slug = EXCLUDED.slug
RETURNING *;

-- name: GetAlbum :one
SELECT * FROM catalog.albums WHERE id = $1;

-- name: GetAlbumByRecordKey :one
SELECT * FROM catalog.albums WHERE artist_did = $1 AND record_rkey = $2;

-- name: ListAlbumsByID :many
SELECT id, slug, title, image_url, image_thumb_url FROM catalog.albums WHERE id = ANY(@ids::uuid[]);

-- name: ListAlbumTrackRecords :many
-- ListAlbumTrackRecords is an album's ready tracks, oldest first, with their records' URIs
-- and CIDs (null until written): what the album's list record points at.
SELECT t.id, t.created_at, r.uri, r.cid
FROM catalog.tracks t
LEFT JOIN catalog.records r ON r.did = t.artist_did AND r.kind = 'track' AND r.rkey = t.record_rkey
WHERE t.album_id = $1 AND t.status = 'ready' AND NOT t.deleting
ORDER BY t.created_at, t.id;
