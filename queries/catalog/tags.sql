-- name: EnsureTags :exec
-- EnsureTags makes the tags that do not exist yet.
INSERT INTO catalog.tags (name) SELECT unnest(@names::text[]) ON CONFLICT (name) DO NOTHING;

-- name: ClearTrackTags :exec
-- ClearTrackTags and AddTrackTags replace a track's tags (two statements: the rows a
-- data-modifying WITH deletes are still there for the INSERT of the same statement).
DELETE FROM catalog.track_tags WHERE track_id = $1;

-- name: AddTrackTags :exec
-- AddTrackTags gives a track the tags @names (which exist).
INSERT INTO catalog.track_tags (track_id, tag_id, created_at)
SELECT @track_id, g.id, @created_at FROM catalog.tags g WHERE g.name = ANY(@names::text[])
ON CONFLICT DO NOTHING;

-- name: ListTrackTags :many
-- ListTrackTags is the tags of a page of tracks, by name.
SELECT tt.track_id, g.name FROM catalog.track_tags tt JOIN catalog.tags g ON g.id = tt.tag_id
WHERE tt.track_id = ANY(@track_ids::uuid[])
ORDER BY tt.track_id, g.name;

-- name: ListTags :many
-- ListTags is the tags whose name starts with @prefix (LIKE-escaped by the caller), with
-- how many ready tracks carry each, most used first.
SELECT g.name, count(t.id)::bigint AS track_count
FROM catalog.tags g
JOIN catalog.track_tags tt ON tt.tag_id = g.id
JOIN catalog.tracks t ON t.id = tt.track_id AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
WHERE g.name LIKE @prefix::text || '%'
GROUP BY g.name
ORDER BY count(t.id) DESC, g.name
LIMIT @max_rows;

-- name: GetTag :one
-- GetTag is one tag with its count of ready tracks.
SELECT g.name, (SELECT count(*) FROM catalog.track_tags tt JOIN catalog.tracks t ON t.id = tt.track_id
                WHERE tt.tag_id = g.id AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting)::bigint AS track_count
FROM catalog.tags g WHERE g.name = $1;
