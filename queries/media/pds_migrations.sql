-- name: CreateMigration :exec
INSERT INTO media.pds_migrations (id, did, status) VALUES (@id, @did, 'running');

-- name: AddMigrationItems :exec
INSERT INTO media.pds_migration_items (migration_id, position, track_id)
SELECT @migration_id, ord::integer, t FROM unnest(@track_ids::uuid[]) WITH ORDINALITY AS x(t, ord);

-- name: GetMigration :one
SELECT m.*,
       count(i.*)::integer                                        AS total,
       count(i.*) FILTER (WHERE i.status = 'migrated')::integer   AS migrated,
       count(i.*) FILTER (WHERE i.status = 'skipped')::integer    AS skipped,
       count(i.*) FILTER (WHERE i.status = 'failed')::integer     AS failed
FROM media.pds_migrations m
LEFT JOIN media.pds_migration_items i ON i.migration_id = m.id
WHERE m.id = @id
GROUP BY m.id;

-- name: LastMigrationItem :one
-- LastMigrationItem is the item settled last.
SELECT track_id, status, reason FROM media.pds_migration_items
WHERE migration_id = @migration_id AND settled_at IS NOT NULL
ORDER BY settled_at DESC, position DESC
LIMIT 1;

-- name: ListMigrationItems :many
SELECT track_id, status, reason FROM media.pds_migration_items
WHERE migration_id = @migration_id ORDER BY position;

-- name: PendingMigrationItems :many
SELECT track_id FROM media.pds_migration_items
WHERE migration_id = @migration_id AND status = 'pending' ORDER BY position;

-- name: SettleMigrationItem :execrows
-- SettleMigrationItem records what became of a track; a retried step settles it again
-- with the same answer.
UPDATE media.pds_migration_items SET status = @status, reason = @reason, settled_at = now()
WHERE migration_id = @migration_id AND track_id = @track_id;

-- name: FinishMigration :one
-- FinishMigration ends a migration: failed when some track failed, done otherwise.
UPDATE media.pds_migrations m
SET status = CASE WHEN EXISTS (SELECT 1 FROM media.pds_migration_items i
                               WHERE i.migration_id = m.id AND i.status = 'failed') THEN 'failed' ELSE 'done' END,
    finished_at = now()
WHERE m.id = @id
RETURNING status;

-- name: RetryMigration :execrows
-- RetryMigration makes a finished migration's failed tracks pending again and the
-- migration running; nothing when it runs or nothing failed.
WITH reset AS (
    UPDATE media.pds_migration_items i SET status = 'pending', reason = '', settled_at = NULL
    FROM media.pds_migrations m
    WHERE i.migration_id = m.id AND m.id = @id AND m.status <> 'running' AND i.status = 'failed'
    RETURNING i.track_id
), run AS (
    UPDATE media.pds_migrations SET status = 'running', finished_at = NULL
    WHERE id = @id AND EXISTS (SELECT 1 FROM reset)
)
SELECT track_id FROM reset;

-- name: ListMigrations :many
-- ListMigrations pages through migrations newest first: one account's (did) or everyone's,
-- optionally only those that failed.
SELECT m.*,
       (SELECT count(*) FROM media.pds_migration_items i WHERE i.migration_id = m.id)::integer AS total,
       (SELECT count(*) FROM media.pds_migration_items i WHERE i.migration_id = m.id AND i.status = 'migrated')::integer AS migrated,
       (SELECT count(*) FROM media.pds_migration_items i WHERE i.migration_id = m.id AND i.status = 'skipped')::integer AS skipped,
       (SELECT count(*) FROM media.pds_migration_items i WHERE i.migration_id = m.id AND i.status = 'failed')::integer AS failed
FROM media.pds_migrations m
WHERE (sqlc.narg(did)::text IS NULL OR m.did = sqlc.narg(did))
  AND (NOT @failed_only::boolean OR m.status = 'failed')
  AND (m.created_at, m.id) < (@before_created_at::timestamptz, @before_id::uuid)
ORDER BY m.created_at DESC, m.id DESC
LIMIT @page_limit;

-- name: RunningMigration :one
-- RunningMigration is an account's migration that is still running, if any.
SELECT id FROM media.pds_migrations WHERE did = @did AND status = 'running' LIMIT 1;
