-- name: ListStagingInUse :many
-- ListStagingInUse is the staging keys of those of the uploads @ids that are still
-- processing and were accepted at or after @accepted_since: their workflows may still
-- read them.
SELECT staging_key
FROM media.uploads
WHERE id = ANY(@ids::uuid[]) AND status = 'processing' AND created_at >= @accepted_since;
