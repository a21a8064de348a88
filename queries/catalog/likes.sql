-- name: InsertLike :one
-- InsertLike likes a track; a like already there is left as it is (no row returned).
INSERT INTO catalog.likes (id, did, track_id, record_rkey, subject_uri, subject_cid, sort_key, created_at)
VALUES (@id, @did, @track_id, @record_rkey, @subject_uri, @subject_cid, @sort_key, @created_at)
ON CONFLICT (did, track_id) DO NOTHING
RETURNING *;

-- name: DeleteLike :one
DELETE FROM catalog.likes WHERE did = @did AND track_id = @track_id RETURNING *;

-- name: AddToLikeCount :one
UPDATE catalog.tracks SET like_count = like_count + @delta::bigint WHERE id = @id RETURNING like_count;

-- name: GetLikeCount :one
SELECT like_count FROM catalog.tracks WHERE id = $1;

-- name: GetLikeByRecordKey :one
SELECT * FROM catalog.likes WHERE did = $1 AND record_rkey = $2;

-- name: ListLikers :many
-- ListLikers is a page of a track's likes, newest first, before (@before_at, @before_id).
SELECT id, did, created_at FROM catalog.likes
WHERE track_id = @track_id AND (created_at, id) < (@before_at::timestamptz, @before_id::uuid)
ORDER BY created_at DESC, id DESC
LIMIT @max_rows;

-- name: ListLikedTracks :many
-- ListLikedTracks is a page of a listener's likes in their list's order, after
-- (@after_key, @after_id).
SELECT track_id, sort_key FROM catalog.likes
WHERE did = @did AND (sort_key, track_id) > (@after_key::bigint, @after_id::uuid)
ORDER BY sort_key, track_id
LIMIT @max_rows;

-- name: CountLikesBy :one
SELECT count(*) FROM catalog.likes WHERE did = $1;

-- name: LikedAmong :many
-- LikedAmong is which of @ids the listener likes.
SELECT track_id FROM catalog.likes WHERE did = @did AND track_id = ANY(@ids::uuid[]);

-- name: ListLikedTrackIDs :many
-- ListLikedTrackIDs is every track a listener likes (a reorder checks it has them all).
SELECT track_id FROM catalog.likes WHERE did = $1;

-- name: SetLikeOrder :execrows
-- SetLikeOrder puts the listener's likes in the order of @track_ids (0, 1, 2…).
UPDATE catalog.likes l SET sort_key = o.ord - 1
FROM unnest(@track_ids::uuid[]) WITH ORDINALITY AS o(track_id, ord)
WHERE l.did = @did AND l.track_id = o.track_id;

-- name: ListLikedSubjects :many
-- ListLikedSubjects is what the listener's "Liked" list record holds: their likes' track
-- records in list order, at most a list record's 500 items.
SELECT subject_uri, subject_cid FROM catalog.likes WHERE did = $1 ORDER BY sort_key, track_id LIMIT 500;

-- name: EnsureLikedList :one
-- EnsureLikedList returns the listener's "Liked" list, made on first use.
INSERT INTO catalog.liked_lists (did, record_rkey, created_at) VALUES (@did, @record_rkey, @created_at)
ON CONFLICT (did) DO UPDATE SET did = EXCLUDED.did
RETURNING *;

-- name: GetLikedList :one
SELECT * FROM catalog.liked_lists WHERE did = $1;

-- name: GetLikedListByRecordKey :one
SELECT * FROM catalog.liked_lists WHERE did = $1 AND record_rkey = $2;

-- name: ListRecordOwner :one
-- ListRecordOwner says which feature an fm.plyr.list record belongs to: album, playlist
-- or liked; no row when none does (any more).
SELECT owner::text FROM (
    SELECT 'album' AS owner FROM catalog.albums WHERE artist_did = @did::text AND record_rkey = @rkey::text
    UNION ALL SELECT 'playlist' FROM catalog.playlists WHERE owner_did = @did::text AND record_rkey = @rkey::text
    UNION ALL SELECT 'liked' FROM catalog.liked_lists WHERE did = @did::text AND record_rkey = @rkey::text
) owners LIMIT 1;
