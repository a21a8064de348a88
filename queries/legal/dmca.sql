-- name: CreateDmcaNotice :one
INSERT INTO legal.dmca_notices (id, track_id, artist_did, complainant_name, complainant_contact, work, urls,
                                statement, received_by)
VALUES (@id, @track_id, @artist_did, @complainant_name, @complainant_contact, @work, @urls, @statement, @received_by)
RETURNING *;

-- name: GetDmcaNotice :one
SELECT * FROM legal.dmca_notices WHERE id = @id;

-- name: ListDmcaNotices :many
SELECT * FROM legal.dmca_notices
WHERE (sqlc.narg(artist_did)::text IS NULL OR artist_did = sqlc.narg(artist_did)::text)
  AND (sqlc.narg(after_at)::timestamptz IS NULL
       OR (received_at, id) < (sqlc.narg(after_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY received_at DESC, id DESC
LIMIT @max_rows;

-- name: CounterDmcaNotice :one
-- CounterDmcaNotice records the artist's counter-notice on a notice still in force; no
-- row otherwise.
UPDATE legal.dmca_notices
SET status = 'countered', counter_name = @counter_name, counter_contact = @counter_contact,
    counter_statement = @counter_statement, countered_at = now()
WHERE id = @id AND status = 'taken_down'
RETURNING *;

-- name: SetDmcaRestoreDue :exec
UPDATE legal.dmca_notices SET restore_due = @restore_due WHERE id = @id AND restore_due IS NULL;

-- name: CloseDmcaNotice :one
-- CloseDmcaNotice moves an open notice to its last status; no row when it was closed.
UPDATE legal.dmca_notices SET status = @status, closed_at = now()
WHERE id = @id AND closed_at IS NULL AND status = ANY(@from_statuses::text[])
RETURNING *;
