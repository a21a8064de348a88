-- name: RecordScan :one
-- RecordScan stores a track's scan. A flag nobody has resolved yet is kept as it is: a
-- later scan, whatever it found, never clears it (RecordScan then returns no row).
INSERT INTO legal.copyright_scans AS s (
    track_id, artist_did, status, matches, match_count, dominant_artist, dominant_title,
    dominant_count, dominant_pct, threshold_pct, error, scanned_at)
VALUES (@track_id, @artist_did, @status, @matches, @match_count, @dominant_artist, @dominant_title,
        @dominant_count, @dominant_pct, @threshold_pct, @error, now())
ON CONFLICT (track_id) DO UPDATE SET
    status = EXCLUDED.status, matches = EXCLUDED.matches, match_count = EXCLUDED.match_count,
    dominant_artist = EXCLUDED.dominant_artist, dominant_title = EXCLUDED.dominant_title,
    dominant_count = EXCLUDED.dominant_count, dominant_pct = EXCLUDED.dominant_pct,
    threshold_pct = EXCLUDED.threshold_pct, error = EXCLUDED.error, scanned_at = now()
WHERE s.status <> 'flagged' OR s.resolution IS NOT NULL
RETURNING *;

-- name: GetScan :one
SELECT * FROM legal.copyright_scans WHERE track_id = @track_id;

-- name: ListScans :many
-- ListScans pages scans newest first, after the cursor (scanned_at, track_id): the open
-- flags, every flag, the failed scans or all of them.
SELECT * FROM legal.copyright_scans
WHERE CASE @filter::text
        WHEN 'open' THEN status = 'flagged' AND resolution IS NULL
        WHEN 'flagged' THEN status = 'flagged'
        WHEN 'failed' THEN status = 'failed'
        ELSE true
      END
  AND (sqlc.narg(after_at)::timestamptz IS NULL
       OR (scanned_at, track_id) < (sqlc.narg(after_at)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY scanned_at DESC, track_id DESC
LIMIT @max_rows;

-- name: ResolveScan :one
-- ResolveScan records a human's decision on an open flag; no row when there is none.
UPDATE legal.copyright_scans
SET resolution = @resolution, resolved_by = @resolved_by, resolved_at = now(), resolution_note = @note
WHERE track_id = @track_id AND status = 'flagged' AND resolution IS NULL
RETURNING *;

-- name: MarkScanNotified :exec
UPDATE legal.copyright_scans SET notified_at = COALESCE(notified_at, now()) WHERE track_id = @track_id;

-- name: CountScans :one
SELECT count(*) FILTER (WHERE status = 'flagged' AND resolution IS NULL)::integer AS open_flags,
       count(*) FILTER (WHERE status = 'failed')::integer                         AS failed
FROM legal.copyright_scans;
