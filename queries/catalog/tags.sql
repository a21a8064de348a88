-- name: EnsureTags :exec
-- EnsureTags makes the tags that do not exist yet.
INSERT INTO catalog.tags (name) SELECT unnest(@names::text[]) ON CONFLICT (name) DO NOTHING;

-- name: SetTrackTags :exec
-- SetTrackTags replaces a track's tags with @names (which exist).
WITH gone AS (
    DELETE FROM catalog.track_tags tt WHERE tt.track_id = @track_id
)
INSERT INTO catalog.track_tags (track_id, tag_id, created_at)
SELECT @track_id, g.id, @created_at FROM catalog.tags g WHERE g.name = ANY(@names::text[]);

-- name: ListTrackTags :many
-- ListTrackTags is the tags of a page of tracks, by name.
SELECT tt.track_id, g.name FROM catalog.track_tags tt JOIN catalog.tags g ON g.id = tt.tag_id
WHERE tt.track_id = ANY(@track_ids::uuid[])
ORDER BY tt.track_id, g.name;
