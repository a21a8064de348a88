-- name: InsertComment :one
INSERT INTO catalog.comments (id, track_id, did, record_rkey, subject_uri, subject_cid, text, timestamp_ms, created_at)
VALUES (@id, @track_id, @did, @record_rkey, @subject_uri, @subject_cid, @text, @timestamp_ms, @created_at)
RETURNING *;

-- name: GetComment :one
SELECT * FROM catalog.comments WHERE id = $1;

-- name: LockComment :one
SELECT * FROM catalog.comments WHERE id = $1 FOR UPDATE;

-- name: GetCommentByRecordKey :one
SELECT * FROM catalog.comments WHERE did = $1 AND record_rkey = $2;

-- name: UpdateCommentText :one
UPDATE catalog.comments SET text = @text, updated_at = @updated_at WHERE id = @id RETURNING *;

-- name: DeleteComment :one
DELETE FROM catalog.comments WHERE id = $1 RETURNING *;

-- name: ListComments :many
SELECT * FROM catalog.comments WHERE track_id = $1 ORDER BY timestamp_ms, created_at, id LIMIT 1000;

-- name: LockTrackForComment :one
-- LockTrackForComment takes the track's row lock, so the per-track cap counts exactly, and
-- returns how many comments it has.
SELECT comment_count FROM catalog.tracks WHERE id = $1 FOR UPDATE;

-- name: AddToCommentCount :one
UPDATE catalog.tracks SET comment_count = comment_count + @delta::bigint WHERE id = @id RETURNING comment_count;

-- name: CountRecentComments :one
-- CountRecentComments is how many comments an author made since @since.
SELECT count(*) FROM catalog.comments WHERE did = @did AND created_at > @since;
