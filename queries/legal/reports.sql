-- name: LockReporter :exec
-- LockReporter serialises one reporter's new reports for the rest of the transaction, so
-- that the hourly limit holds against concurrent requests.
SELECT pg_advisory_xact_lock(hashtextextended('legal.reports:' || @reporter_did::text, 0));

-- name: CountReportsSince :one
SELECT count(*)::integer FROM legal.reports WHERE reporter_did = @reporter_did AND created_at > @since;

-- name: OldestReportSince :one
SELECT min(created_at)::timestamptz FROM legal.reports WHERE reporter_did = @reporter_did AND created_at > @since;

-- name: CreateReport :one
INSERT INTO legal.reports (id, reporter_did, target_type, target_id, target_name, target_url, reason, description)
VALUES (@id, @reporter_did, @target_type, @target_id, @target_name, @target_url, @reason, @description)
RETURNING *;

-- name: GetReport :one
SELECT * FROM legal.reports WHERE id = @id;

-- name: ListReportsByReporter :many
SELECT * FROM legal.reports
WHERE reporter_did = @reporter_did
  AND (sqlc.narg(after_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(after_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @max_rows;

-- name: ListReports :many
SELECT * FROM legal.reports
WHERE (NOT @open_only::boolean OR resolution IS NULL)
  AND (sqlc.narg(after_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(after_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @max_rows;

-- name: ResolveReport :one
UPDATE legal.reports
SET resolution = @resolution, resolved_by = @resolved_by, resolved_at = now(), resolution_note = @note
WHERE id = @id AND resolution IS NULL
RETURNING *;

-- name: CountOpenReports :one
SELECT count(*)::integer FROM legal.reports WHERE resolution IS NULL;
