-- name: CreateDraftTrack :exec
-- CreateDraftTrack records a track whose upload is being processed. Running it again for
-- the same id changes nothing, so a retried workflow step is harmless.
INSERT INTO catalog.tracks (id, artist_did, title, status, created_at, record_rkey)
VALUES ($1, $2, $3, 'processing', $4, $5)
ON CONFLICT (id) DO NOTHING;

-- name: PublishTrack :one
-- PublishTrack makes a track playable, with its lossless original when one is kept. It is
-- idempotent: publishing a ready track again with the same files sets the same values.
UPDATE catalog.tracks
SET status = 'ready', file_id = @file_id, duration_ms = @duration_ms, file_type = @file_type,
    original_file_id = sqlc.narg(original_file_id), original_file_type = sqlc.narg(original_file_type),
    original_content_type = sqlc.narg(original_content_type), original_size_bytes = sqlc.narg(original_size_bytes),
    waveform = sqlc.narg(waveform), pds_blob = sqlc.narg(pds_blob),
    pds_state = @pds_state, pds_reason = @pds_reason, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: SetTrackPDSAudio :one
-- SetTrackPDSAudio records how a copy of a track's audio to its PDS went (a migration).
UPDATE catalog.tracks
SET pds_blob = sqlc.narg(pds_blob), pds_state = @pds_state, pds_reason = @pds_reason, updated_at = now()
WHERE id = @id AND NOT deleting
RETURNING *;

-- name: DeleteDraftTrack :execrows
-- DeleteDraftTrack removes a track whose upload was abandoned. A ready track is never
-- removed this way.
DELETE FROM catalog.tracks WHERE id = $1 AND status = 'processing';

-- name: GetTrack :one
SELECT sqlc.embed(t), r.uri AS record_uri, r.cid AS record_cid, r.state AS record_state,
       r.failure AS record_failure, r.failure_reason AS record_failure_reason, a.display_name AS artist_display_name
FROM catalog.tracks t
LEFT JOIN catalog.records r ON r.did = t.artist_did AND r.kind = 'track' AND r.rkey = t.record_rkey
LEFT JOIN catalog.artists a ON a.did = t.artist_did
WHERE t.id = $1 AND NOT t.deleting;

-- name: GetTrackByRecordKey :one
-- GetTrackByRecordKey finds the track a record stands for.
SELECT * FROM catalog.tracks WHERE artist_did = $1 AND record_rkey = $2;

-- name: LockTrack :one
-- LockTrack reads a track to change it; other changes to it wait.
SELECT * FROM catalog.tracks WHERE id = $1 FOR UPDATE;

-- name: UpdateTrack :exec
-- UpdateTrack sets what an edit changes.
UPDATE catalog.tracks
SET title = @title, album_id = @album_id, features = @features,
    image_id = @image_id, image_url = @image_url, image_thumb_url = @image_thumb_url,
    supporters_only = @supporters_only, updated_at = now()
WHERE id = @id;

-- name: ListReadyTracks :many
-- ListReadyTracks is the public feed: ready tracks strictly before the cursor, newest first,
-- without those that carry one of @hidden_tags (the viewer's hidden tags).
SELECT sqlc.embed(t), r.uri AS record_uri, r.cid AS record_cid, r.state AS record_state,
       r.failure AS record_failure, r.failure_reason AS record_failure_reason, a.display_name AS artist_display_name
FROM catalog.tracks t
LEFT JOIN catalog.records r ON r.did = t.artist_did AND r.kind = 'track' AND r.rkey = t.record_rkey
LEFT JOIN catalog.artists a ON a.did = t.artist_did
WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
  AND (t.created_at, t.id) < (@before_created_at::timestamptz, @before_id::uuid)
  -- The hidden tags' ids are found once (an init plan), so each candidate costs one
  -- primary-key probe of track_tags whatever the catalog's size.
  AND NOT EXISTS (
      SELECT 1 FROM catalog.track_tags h
      WHERE h.track_id = t.id
        AND h.tag_id = ANY(ARRAY(SELECT g.id FROM catalog.tags g WHERE g.name = ANY(@hidden_tags::text[]))))
ORDER BY t.created_at DESC, t.id DESC
LIMIT @page_limit;

-- name: ListTagTracks :many
-- ListTagTracks is the ready tracks with one tag, strictly before the cursor, newest first:
-- one walk of track_tags' (tag, created_at, track) index.
SELECT sqlc.embed(t), r.uri AS record_uri, r.cid AS record_cid, r.state AS record_state,
       r.failure AS record_failure, r.failure_reason AS record_failure_reason, a.display_name AS artist_display_name
FROM catalog.track_tags tt
JOIN catalog.tracks t ON t.id = tt.track_id
LEFT JOIN catalog.records r ON r.did = t.artist_did AND r.kind = 'track' AND r.rkey = t.record_rkey
LEFT JOIN catalog.artists a ON a.did = t.artist_did
WHERE tt.tag_id = (SELECT g.id FROM catalog.tags g WHERE g.name = @tag)
  AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
  AND (tt.created_at, tt.track_id) < (@before_created_at::timestamptz, @before_id::uuid)
ORDER BY tt.created_at DESC, tt.track_id DESC
LIMIT @page_limit;

-- name: ListArtistTracks :many
-- ListArtistTracks is one artist's tracks strictly before the cursor, newest first; tracks
-- still processing are included only when asked for (the artist looking at their own), and
-- with @unsynced_only only those whose record is not on the PDS as it should be.
SELECT sqlc.embed(t), r.uri AS record_uri, r.cid AS record_cid, r.state AS record_state,
       r.failure AS record_failure, r.failure_reason AS record_failure_reason, a.display_name AS artist_display_name
FROM catalog.tracks t
LEFT JOIN catalog.records r ON r.did = t.artist_did AND r.kind = 'track' AND r.rkey = t.record_rkey
LEFT JOIN catalog.artists a ON a.did = t.artist_did
WHERE t.artist_did = @artist_did AND NOT t.deleting
  AND ((t.status = 'ready' AND NOT t.taken_down) OR @include_processing::boolean)
  AND (NOT @unsynced_only::boolean OR (t.status = 'ready' AND (r.state IS NULL OR r.state <> 'synced')))
  AND (t.created_at, t.id) < (@before_created_at::timestamptz, @before_id::uuid)
ORDER BY t.created_at DESC, t.id DESC
LIMIT @page_limit;

-- name: MarkTrackDeleting :exec
-- MarkTrackDeleting hides a track whose deletion started: its record is deleted first.
UPDATE catalog.tracks SET deleting = true, updated_at = now() WHERE id = $1;

-- name: CancelTrackDelete :exec
-- CancelTrackDelete brings back a track whose record could not be deleted: nothing is.
UPDATE catalog.tracks SET deleting = false, updated_at = now() WHERE id = $1;

-- name: DeleteTrackRow :execrows
-- DeleteTrackRow removes a track whose record is gone.
DELETE FROM catalog.tracks WHERE id = $1 AND deleting;

-- name: CountOtherFileUsers :one
-- CountOtherFileUsers is how many other tracks play the same file or keep it as their
-- original.
SELECT count(*) FROM catalog.tracks
WHERE (file_id = @file_id OR original_file_id = @file_id) AND id <> @track_id;

-- name: CountOtherImageUsers :one
-- CountOtherImageUsers is how many other tracks, and albums, show the same image.
SELECT (SELECT count(*) FROM catalog.tracks t WHERE t.image_id = @image_id AND t.id <> @track_id)
     + (SELECT count(*) FROM catalog.albums a WHERE a.image_id = @image_id);

-- name: ListAlbumTracks :many
-- ListAlbumTracks is an album's ready tracks, oldest first (the album's order is applied
-- by the caller from the list record's).
SELECT sqlc.embed(t), r.uri AS record_uri, r.cid AS record_cid, r.state AS record_state,
       r.failure AS record_failure, r.failure_reason AS record_failure_reason, a.display_name AS artist_display_name
FROM catalog.tracks t
LEFT JOIN catalog.records r ON r.did = t.artist_did AND r.kind = 'track' AND r.rkey = t.record_rkey
LEFT JOIN catalog.artists a ON a.did = t.artist_did
WHERE t.album_id = @album_id AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
ORDER BY t.created_at, t.id
LIMIT 1000;

-- name: RemoveTrackFromAlbum :execrows
UPDATE catalog.tracks SET album_id = NULL, updated_at = now() WHERE id = @id AND album_id = @album_id;

-- name: ListTracksByIDs :many
-- ListTracksByIDs is the ready tracks among @ids, in no particular order.
SELECT sqlc.embed(t), r.uri AS record_uri, r.cid AS record_cid, r.state AS record_state,
       r.failure AS record_failure, r.failure_reason AS record_failure_reason, a.display_name AS artist_display_name
FROM catalog.tracks t
LEFT JOIN catalog.records r ON r.did = t.artist_did AND r.kind = 'track' AND r.rkey = t.record_rkey
LEFT JOIN catalog.artists a ON a.did = t.artist_did
WHERE t.id = ANY(@ids::uuid[]) AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting;

-- name: GetTrackSubject :one
-- GetTrackSubject is what a like, a comment or a playlist entry needs of a track: whether
-- it can be pointed at, and its record's strongRef as last written.
SELECT t.id, t.artist_did, t.status, t.deleting, t.taken_down, t.duration_ms, r.uri AS record_uri, r.cid AS record_cid
FROM catalog.tracks t
LEFT JOIN catalog.records r ON r.did = t.artist_did AND r.kind = 'track' AND r.rkey = t.record_rkey
WHERE t.id = $1;

-- name: ListPDSCandidates :many
-- ListPDSCandidates are an artist's tracks whose audio may be copied to their PDS: ready,
-- not for supporters only, not there already; all of them, or those of @track_ids.
SELECT id, file_id FROM catalog.tracks
WHERE artist_did = @artist_did AND status = 'ready' AND NOT deleting AND NOT supporters_only
  AND pds_state <> 'on_pds' AND file_id IS NOT NULL
  AND (cardinality(@track_ids::uuid[]) = 0 OR id = ANY(@track_ids::uuid[]))
ORDER BY created_at, id
LIMIT @page_limit;

-- name: ListExportTracks :many
-- ListExportTracks are all of an artist's ready tracks for an export, oldest first: the
-- original where one is kept, else the playable file.
SELECT id, title, COALESCE(original_file_id, file_id)::uuid AS file_id FROM catalog.tracks
WHERE artist_did = @artist_did AND status = 'ready' AND NOT deleting AND file_id IS NOT NULL
ORDER BY created_at, id;

-- name: SetTrackTakenDown :one
-- SetTrackTakenDown hides a track from everyone but its artist, or shows it again; it
-- returns the track's audio files.
UPDATE catalog.tracks SET taken_down = @taken_down
WHERE id = @id AND NOT deleting
RETURNING id, artist_did, file_id, original_file_id;

-- name: ListTakenDownTrackIDs :many
SELECT id FROM catalog.tracks WHERE taken_down LIMIT @max_rows;

-- name: ShownAmong :many
-- ShownAmong are those of ids whose tracks exist and are not taken down.
SELECT id FROM catalog.tracks WHERE id = ANY(@ids::uuid[]) AND NOT taken_down AND NOT deleting;
