-- name: MarkImageSensitive :exec
INSERT INTO legal.sensitive_images (image_id, marked_by) VALUES (@image_id, @marked_by)
ON CONFLICT (image_id) DO NOTHING;

-- name: UnmarkImageSensitive :execrows
DELETE FROM legal.sensitive_images WHERE image_id = @image_id;

-- name: ListSensitiveImages :many
SELECT image_id FROM legal.sensitive_images ORDER BY marked_at, image_id;
