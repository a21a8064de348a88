-- name: InsertPlaylist :one
INSERT INTO catalog.playlists (id, owner_did, name, record_rkey, show_on_profile, private, created_at, updated_at)
VALUES (@id, @owner_did, @name, @record_rkey, @show_on_profile, @private, @created_at, @created_at)
RETURNING *;

-- name: GetPlaylist :one
SELECT * FROM catalog.playlists WHERE id = $1;

-- name: LockPlaylist :one
SELECT * FROM catalog.playlists WHERE id = $1 FOR UPDATE;

-- name: GetPlaylistByRecordKey :one
SELECT * FROM catalog.playlists WHERE owner_did = $1 AND record_rkey = $2;

-- name: UpdatePlaylist :one
UPDATE catalog.playlists
SET name = @name, show_on_profile = @show_on_profile, private = @private,
    image_id = sqlc.narg(image_id), image_url = @image_url, image_thumb_url = @image_thumb_url, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: TouchPlaylist :exec
UPDATE catalog.playlists SET updated_at = now() WHERE id = $1;

-- name: DeletePlaylist :one
DELETE FROM catalog.playlists WHERE id = $1 RETURNING *;

-- name: ListPlaylistsByOwner :many
-- ListPlaylistsByOwner is a page of an owner's playlists, newest first; @public_only keeps
-- the ones shown on their profile. Each with its entry count and record.
SELECT sqlc.embed(p), (SELECT count(*) FROM catalog.playlist_items i WHERE i.playlist_id = p.id) AS item_count,
       r.uri AS record_uri, r.cid AS record_cid, r.state AS record_state,
       r.failure AS record_failure, r.failure_reason AS record_failure_reason
FROM catalog.playlists p
LEFT JOIN catalog.records r ON r.did = p.owner_did AND r.kind = 'list' AND r.rkey = p.record_rkey
WHERE p.owner_did = @owner_did AND (NOT @public_only::boolean OR (p.show_on_profile AND NOT p.private))
  AND (p.created_at, p.id) < (@before_at::timestamptz, @before_id::uuid)
ORDER BY p.created_at DESC, p.id DESC
LIMIT @max_rows;

-- name: GetPlaylistView :one
SELECT sqlc.embed(p), (SELECT count(*) FROM catalog.playlist_items i WHERE i.playlist_id = p.id) AS item_count,
       r.uri AS record_uri, r.cid AS record_cid, r.state AS record_state,
       r.failure AS record_failure, r.failure_reason AS record_failure_reason
FROM catalog.playlists p
LEFT JOIN catalog.records r ON r.did = p.owner_did AND r.kind = 'list' AND r.rkey = p.record_rkey
WHERE p.id = $1;

-- name: ListPlaylistItems :many
SELECT * FROM catalog.playlist_items WHERE playlist_id = $1 ORDER BY position;

-- name: CountPlaylistItems :one
SELECT count(*) FROM catalog.playlist_items WHERE playlist_id = $1;

-- name: InsertPlaylistItem :one
-- InsertPlaylistItem appends an entry; none when the track is there already.
INSERT INTO catalog.playlist_items (id, playlist_id, position, track_id, subject_uri, subject_cid)
SELECT @id, @playlist_id, COALESCE(max(position) + 1, 0), @track_id, @subject_uri, @subject_cid
FROM catalog.playlist_items WHERE playlist_id = @playlist_id
ON CONFLICT (playlist_id, subject_uri) DO NOTHING
RETURNING *;

-- name: DeletePlaylistItem :one
DELETE FROM catalog.playlist_items WHERE id = @id AND playlist_id = @playlist_id RETURNING *;

-- name: SetPlaylistOrder :execrows
-- SetPlaylistOrder numbers the entries in the order of @item_ids (0, 1, 2…); the
-- position's uniqueness is checked at commit.
UPDATE catalog.playlist_items i SET position = o.ord - 1
FROM unnest(@item_ids::uuid[]) WITH ORDINALITY AS o(id, ord)
WHERE i.playlist_id = @playlist_id AND i.id = o.id;

-- name: ListPlaylistSubjects :many
SELECT subject_uri, subject_cid FROM catalog.playlist_items WHERE playlist_id = $1 ORDER BY position LIMIT 500;

-- name: CountPlaylistsUsingImage :one
SELECT count(*) FROM catalog.playlists WHERE image_id = $1;
