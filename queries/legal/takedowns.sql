-- name: CreateTakedown :one
-- CreateTakedown puts a takedown in force; no row when the track already has one.
INSERT INTO legal.takedowns (id, track_id, artist_did, cause, cause_id, copyright, taken_by)
VALUES (@id, @track_id, @artist_did, @cause, @cause_id, @copyright, @taken_by)
ON CONFLICT (track_id) WHERE restored_at IS NULL DO NOTHING
RETURNING *;

-- name: TakedownInForce :one
SELECT * FROM legal.takedowns WHERE track_id = @track_id AND restored_at IS NULL;

-- name: RestoreTakedown :one
-- RestoreTakedown lifts the takedown in force; no row when there is none.
UPDATE legal.takedowns
SET restored_by = @restored_by, restored_at = now(), restore_reason = @reason,
    copyright = copyright AND NOT @countered::boolean
WHERE track_id = @track_id AND restored_at IS NULL
RETURNING *;

-- name: CountCopyrightTakedowns :one
-- CountCopyrightTakedowns is the artist's repeat-infringer tally: copyright takedowns
-- in force, or lifted for a reason other than a counter-notice.
SELECT count(*)::integer FROM legal.takedowns WHERE artist_did = @artist_did AND copyright;

-- name: ListTakedownsForTracks :many
SELECT * FROM legal.takedowns WHERE track_id = ANY(@track_ids::uuid[]) AND restored_at IS NULL;

-- name: TracksInForce :many
SELECT track_id FROM legal.takedowns WHERE restored_at IS NULL ORDER BY taken_at LIMIT @max_rows;
