-- name: GetImageByHash :one
-- GetImageByHash finds the image an account already has with these bytes.
SELECT * FROM media.images WHERE owner_did = $1 AND sha256 = $2;

-- name: CreateImage :one
-- CreateImage records an image and returns its id: the new row's, or that of the row the
-- account already has with the same bytes (an upload racing its own twin), which is left
-- as it was.
INSERT INTO media.images (id, owner_did, sha256, content_type, width, height, size_bytes)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (owner_did, sha256) DO UPDATE SET owner_did = EXCLUDED.owner_did
RETURNING id;

-- name: GetImage :one
SELECT * FROM media.images WHERE id = $1;

-- name: ImageBytesShared :one
-- ImageBytesShared reports whether a row other than id has the bytes sha256, so that
-- deleting id must leave the objects in place.
SELECT EXISTS (SELECT 1 FROM media.images WHERE sha256 = $1 AND id <> $2);

-- name: DeleteImage :execrows
DELETE FROM media.images WHERE id = $1;
