-- The public site's pages for the sitemap: public tracks, the artists who have one, their
-- albums, and playlists that are not private. Counted first, then read a page at a time
-- by offset (a sitemap is fetched rarely, and its pages are numbered).

-- name: SitemapCounts :one
SELECT
    (SELECT count(*) FROM catalog.tracks t WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting)::bigint AS tracks,
    (SELECT count(DISTINCT t.artist_did) FROM catalog.tracks t WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting)::bigint AS artists,
    (SELECT count(*) FROM catalog.albums a WHERE NOT a.deleting)::bigint AS albums,
    (SELECT count(*) FROM catalog.playlists p WHERE NOT p.private)::bigint AS playlists;

-- name: SitemapTracks :many
SELECT t.id, t.updated_at FROM catalog.tracks t
WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
ORDER BY t.created_at, t.id
LIMIT @page_size OFFSET @skip;

-- name: SitemapArtists :many
SELECT t.artist_did, max(t.updated_at)::timestamptz AS updated_at FROM catalog.tracks t
WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
GROUP BY t.artist_did
ORDER BY t.artist_did
LIMIT @page_size OFFSET @skip;

-- name: SitemapAlbums :many
SELECT a.artist_did, a.slug, a.updated_at FROM catalog.albums a
WHERE NOT a.deleting
ORDER BY a.created_at, a.id
LIMIT @page_size OFFSET @skip;

-- name: SitemapPlaylists :many
SELECT p.id, p.updated_at FROM catalog.playlists p
WHERE NOT p.private
ORDER BY p.created_at, p.id
LIMIT @page_size OFFSET @skip;
