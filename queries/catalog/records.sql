-- name: AddRecord :exec
-- AddRecord starts tracking a record plyr is to write. Again for the same key changes
-- nothing, so a retried workflow step is harmless.
INSERT INTO catalog.records (did, kind, rkey) VALUES ($1, $2, $3)
ON CONFLICT (did, kind, rkey) DO NOTHING;

-- name: ReviseRecord :one
-- ReviseRecord says the record should change (or, absent, be deleted): a new revision,
-- pending until the workflow writes it.
UPDATE catalog.records
SET revision = revision + 1, absent = @absent, state = 'pending', failure = NULL, failure_reason = NULL,
    updated_at = now()
WHERE did = @did AND kind = @kind AND rkey = @rkey
RETURNING *;

-- name: GetRecord :one
SELECT * FROM catalog.records WHERE did = $1 AND kind = $2 AND rkey = $3;

-- name: SettleRecordSynced :one
-- SettleRecordSynced records that revision @revision is on the PDS (or deleted). The record
-- is synced only if no newer revision was asked for meanwhile; an outcome older than one
-- already settled changes nothing. It returns the record as it now is.
UPDATE catalog.records
SET synced_revision = GREATEST(synced_revision, @revision::bigint),
    uri   = CASE WHEN @revision::bigint >= synced_revision THEN sqlc.narg(uri) ELSE uri END,
    cid   = CASE WHEN @revision::bigint >= synced_revision THEN sqlc.narg(cid) ELSE cid END,
    state = CASE WHEN @revision::bigint >= revision THEN 'synced' ELSE state END,
    failure        = CASE WHEN @revision::bigint >= revision THEN NULL ELSE failure END,
    failure_reason = CASE WHEN @revision::bigint >= revision THEN NULL ELSE failure_reason END,
    updated_at = now()
WHERE did = @did AND kind = @kind AND rkey = @rkey
RETURNING *;

-- name: SettleRecordFailed :one
-- SettleRecordFailed records that the record's current revision could not be written.
UPDATE catalog.records
SET state = 'failed', failure = @failure, failure_reason = @failure_reason, updated_at = now()
WHERE did = @did AND kind = @kind AND rkey = @rkey AND synced_revision < revision
RETURNING *;

-- name: ForgetRecord :execrows
-- ForgetRecord stops tracking a record that is deleted from its PDS.
DELETE FROM catalog.records
WHERE did = $1 AND kind = $2 AND rkey = $3 AND absent AND synced_revision = revision;

-- name: ClaimStalledRecords :many
-- ClaimStalledRecords finds records pending since before @stalled_since, a workflow start
-- that was lost (Temporal down at the moment of a change) or a row from a migration, and
-- marks them touched now so that another sweep running at once, or the next one, leaves
-- them to the workflow this sweep starts.
UPDATE catalog.records r
SET updated_at = now()
FROM (
    SELECT p.did, p.kind, p.rkey FROM catalog.records p
    WHERE p.state = 'pending' AND p.updated_at < @stalled_since
    ORDER BY p.updated_at
    LIMIT @max_rows
    FOR UPDATE SKIP LOCKED
) stalled
WHERE (r.did, r.kind, r.rkey) = (stalled.did, stalled.kind, stalled.rkey)
RETURNING r.did, r.kind, r.rkey;

-- name: KeepRecord :exec
-- KeepRecord says a record should exist after all (a deletion that failed is called off);
-- its state, failed with the reason, stays for its owner to see.
UPDATE catalog.records SET absent = false, updated_at = now()
WHERE did = $1 AND kind = $2 AND rkey = $3;
