-- name: GetOrCreateAlbum :one
-- GetOrCreateAlbum returns the artist's album with this slug, making it (with the given id,
-- title, record key and time) if there is none. Two requests at once get the same album.
INSERT INTO catalog.albums (id, artist_did, slug, title, record_rkey, created_at)
VALUES (@id, @artist_did, @slug, @title, @record_rkey, @created_at)
ON CONFLICT (artist_did, slug) WHERE NOT deleting DO UPDATE SET slug = EXCLUDED.slug
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
WHERE t.album_id = $1 AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
ORDER BY t.created_at, t.id;

-- name: SetAlbumOrder :exec
-- SetAlbumOrder records the order of the album's list record as written.
UPDATE catalog.albums SET item_uris = @item_uris::text[] WHERE artist_did = @artist_did AND record_rkey = @record_rkey;

-- name: GetAlbumBySlug :one
SELECT * FROM catalog.albums WHERE artist_did = $1 AND slug = $2 AND NOT deleting;

-- name: ListAlbumViewsByIDs :many
-- ListAlbumViewsByIDs is the albums among @ids with their counts, in no particular order.
SELECT sqlc.embed(a),
       (SELECT count(*) FROM catalog.tracks t WHERE t.album_id = a.id AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting)::bigint AS track_count,
       (SELECT COALESCE(sum(t.play_count), 0) FROM catalog.tracks t WHERE t.album_id = a.id AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting)::bigint AS total_plays,
       r.uri AS record_uri, r.cid AS record_cid, r.state AS record_state,
       r.failure AS record_failure, r.failure_reason AS record_failure_reason
FROM catalog.albums a
LEFT JOIN catalog.records r ON r.did = a.artist_did AND r.kind = 'list' AND r.rkey = a.record_rkey
WHERE NOT a.deleting AND a.id = ANY(@ids::uuid[]);

-- name: ListAlbumViews :many
-- ListAlbumViews is albums with their counts: one artist's (@artist_did set) by title, or
-- everyone's newest first, strictly before the cursor.
SELECT sqlc.embed(a),
       (SELECT count(*) FROM catalog.tracks t WHERE t.album_id = a.id AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting)::bigint AS track_count,
       (SELECT COALESCE(sum(t.play_count), 0) FROM catalog.tracks t WHERE t.album_id = a.id AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting)::bigint AS total_plays,
       r.uri AS record_uri, r.cid AS record_cid, r.state AS record_state,
       r.failure AS record_failure, r.failure_reason AS record_failure_reason
FROM catalog.albums a
LEFT JOIN catalog.records r ON r.did = a.artist_did AND r.kind = 'list' AND r.rkey = a.record_rkey
WHERE NOT a.deleting
  AND (sqlc.narg(artist_did)::text IS NULL OR a.artist_did = sqlc.narg(artist_did))
  AND (sqlc.narg(album_id)::uuid IS NULL OR a.id = sqlc.narg(album_id))
  AND (a.created_at, a.id) < (@before_created_at::timestamptz, @before_id::uuid)
ORDER BY CASE WHEN sqlc.narg(artist_did)::text IS NULL THEN '' ELSE lower(a.title) END, a.created_at DESC, a.id DESC
LIMIT @page_limit;

-- name: UpdateAlbum :one
UPDATE catalog.albums
SET title = @title, slug = @slug, description = @description, image_id = @image_id,
    image_url = @image_url, image_thumb_url = @image_thumb_url, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: LockAlbum :one
SELECT * FROM catalog.albums WHERE id = $1 FOR UPDATE;

-- name: ReviseAlbumTrackRecords :many
-- ReviseAlbumTrackRecords asks for every ready track record of an album to be rewritten
-- (the album's title, which they carry, changed) and returns their keys.
UPDATE catalog.records r
SET revision = r.revision + 1, state = 'pending', failure = NULL, failure_reason = NULL, updated_at = now()
FROM catalog.tracks t
WHERE t.album_id = @album_id AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
  AND r.did = t.artist_did AND r.kind = 'track' AND r.rkey = t.record_rkey AND NOT r.absent
RETURNING r.did, r.rkey;

-- name: ListAlbumTrackIDs :many
SELECT id FROM catalog.tracks WHERE album_id = $1 AND status = 'ready' AND NOT deleting;

-- name: MarkAlbumDeleting :exec
UPDATE catalog.albums SET deleting = true, updated_at = now() WHERE id = $1;

-- name: CancelAlbumDelete :exec
-- CancelAlbumDelete brings back an album whose list record could not be deleted; if
-- another album took its slug meanwhile, it gets its slug with the start of its id.
UPDATE catalog.albums a
SET deleting = false, updated_at = now(),
    slug = CASE WHEN EXISTS (SELECT 1 FROM catalog.albums o
                             WHERE o.artist_did = a.artist_did AND o.slug = a.slug AND NOT o.deleting AND o.id <> a.id)
                THEN a.slug || '-' || left(a.id::text, 8) ELSE a.slug END
WHERE a.artist_did = $1 AND a.record_rkey = $2;

-- name: DeleteAlbumRow :one
-- DeleteAlbumRow removes an album whose list record is gone, and returns its cover.
DELETE FROM catalog.albums WHERE artist_did = $1 AND record_rkey = $2 AND deleting RETURNING image_id;

-- name: CountOtherImageUsersOfAlbum :one
SELECT (SELECT count(*) FROM catalog.tracks t WHERE t.image_id = @image_id)
     + (SELECT count(*) FROM catalog.albums a WHERE a.image_id = @image_id AND a.id <> @album_id);

-- name: ListArtistAlbumRecordKeys :many
-- ListArtistAlbumRecordKeys is the record keys of an artist's albums (the sign-in sync
-- reconciles their list records).
SELECT record_rkey FROM catalog.albums WHERE artist_did = $1 AND NOT deleting ORDER BY created_at LIMIT 500;

-- name: CountArtistAlbums :one
SELECT count(*) FROM catalog.albums WHERE artist_did = $1 AND NOT deleting;

-- name: CountAlbumTracks :one
-- CountAlbumTracks is how many tracks other than @track_id an album holds.
SELECT count(*) FROM catalog.tracks WHERE album_id = @album_id AND id <> @track_id AND NOT deleting;
