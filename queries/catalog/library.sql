-- The library: the public catalog as a music library client (Subsonic) browses it, in
-- pages by offset. A track is shown when it is ready, not taken down and not being
-- deleted; an album when it has a shown track; and each artist's tracks outside albums
-- form their "Singles" (album_id NULL).

-- name: LibraryAllTrackIDs :many
-- LibraryAllTrackIDs is every shown track oldest first (new uploads land at the end, so
-- the pages of a full sync stay put while it runs), from @skip on: a walk of the library
-- index alone, with each track's place in the order.
SELECT t.id, t.created_at FROM catalog.tracks t
WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
ORDER BY t.created_at, t.id
OFFSET @skip LIMIT @page_limit;

-- name: LibraryTrackIDs :many
-- LibraryTrackIDs is the shown tracks of one artist or one tag, oldest first, from @skip
-- on.
SELECT t.id FROM catalog.tracks t
WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
  AND (@artist_did::text = '' OR t.artist_did = @artist_did)
  AND (@tag::text = '' OR EXISTS (
      SELECT 1 FROM catalog.track_tags tt
      WHERE tt.track_id = t.id AND tt.tag_id = (SELECT g.id FROM catalog.tags g WHERE g.name = @tag::text)))
ORDER BY t.created_at, t.id
OFFSET @skip LIMIT @page_limit;

-- name: LibraryTrackIDsAfter :many
-- LibraryTrackIDsAfter is the shown tracks oldest first strictly after a position: the
-- next page of a full sync without walking the pages before it.
SELECT t.id, t.created_at FROM catalog.tracks t
WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
  AND (t.created_at, t.id) > (@after_created_at::timestamptz, @after_id::uuid)
ORDER BY t.created_at, t.id
LIMIT @page_limit;

-- name: LibrarySingles :many
-- LibrarySingles is an artist's shown tracks outside albums, oldest first.
SELECT t.id FROM catalog.tracks t
WHERE t.artist_did = @artist_did AND t.album_id IS NULL
  AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
ORDER BY t.created_at, t.id
LIMIT @page_limit;

-- name: LibraryRandomTrackIDs :many
-- LibraryRandomTrackIDs is up to @page_limit shown tracks at random, of one tag when asked.
SELECT t.id FROM catalog.tracks t
WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
  AND (@tag::text = '' OR EXISTS (
      SELECT 1 FROM catalog.track_tags tt
      WHERE tt.track_id = t.id AND tt.tag_id = (SELECT g.id FROM catalog.tags g WHERE g.name = @tag::text)))
ORDER BY random()
LIMIT @page_limit;

-- name: LibraryTopTrackIDs :many
-- LibraryTopTrackIDs is an artist's shown tracks, most played first.
SELECT t.id FROM catalog.tracks t
WHERE t.artist_did = @artist_did AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
ORDER BY t.play_count DESC, t.created_at DESC, t.id
LIMIT @page_limit;

-- name: LibraryArtists :many
-- LibraryArtists is every artist with a shown track: how many, and how many albums they
-- show (a "Singles" among them when they have tracks outside albums).
SELECT t.artist_did,
       count(*)::bigint AS track_count,
       (count(DISTINCT t.album_id) + CASE WHEN bool_or(t.album_id IS NULL) THEN 1 ELSE 0 END)::bigint AS album_count
FROM catalog.tracks t
WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
  AND (@artist_did::text = '' OR t.artist_did = @artist_did)
GROUP BY t.artist_did;

-- name: LibraryAlbums :many
-- LibraryAlbums is the shown albums (each artist's Singles as an album without id) with
-- their counts, in the order @sort::text names, from @skip on: newest, name, frequent (most
-- played), recent (last played by @viewer::text), starred (every track liked by @viewer::text),
-- year (between @from_year and @to_year, oldest first), random; one artist's or one tag's
-- when asked. The per-listener columns are computed only for the orders that need them.
WITH shown AS (
    SELECT t.artist_did, t.album_id,
           count(*)::bigint AS track_count,
           COALESCE(sum(t.duration_ms), 0)::bigint AS duration_ms,
           COALESCE(sum(t.play_count), 0)::bigint AS play_count,
           min(t.created_at) AS first_at,
           max(CASE WHEN @sort::text = 'recent' THEN (
               SELECT max(p.played_at) FROM catalog.plays p
               WHERE p.track_id = t.id AND p.listener_did = @viewer::text) END) AS played_at,
           bool_and(CASE WHEN @sort::text = 'starred' THEN EXISTS (
               SELECT 1 FROM catalog.likes l WHERE l.did = @viewer::text AND l.track_id = t.id) END) AS starred,
           bool_or(CASE WHEN @tag::text <> '' THEN EXISTS (
               SELECT 1 FROM catalog.track_tags tt
               WHERE tt.track_id = t.id AND tt.tag_id = (SELECT g.id FROM catalog.tags g WHERE g.name = @tag::text)) END) AS tagged
    FROM catalog.tracks t
    WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
      AND (@artist_did::text = '' OR t.artist_did = @artist_did)
    GROUP BY t.artist_did, t.album_id
)
SELECT s.album_id, s.artist_did, COALESCE(a.title, '')::text AS title,
       COALESCE(a.image_url, '')::text AS image_url, COALESCE(a.image_thumb_url, '')::text AS image_thumb_url,
       COALESCE(a.created_at, s.first_at)::timestamptz AS created_at,
       s.track_count, s.duration_ms, s.play_count
FROM shown s
LEFT JOIN catalog.albums a ON a.id = s.album_id AND NOT a.deleting
WHERE (s.album_id IS NULL OR a.id IS NOT NULL)
  AND (@sort::text <> 'recent' OR s.played_at IS NOT NULL)
  AND (@sort::text <> 'starred' OR s.starred)
  AND (@tag::text = '' OR s.tagged)
  AND (@sort::text <> 'year' OR extract(year FROM COALESCE(a.created_at, s.first_at)) BETWEEN @from_year::int AND @to_year::int)
ORDER BY
    CASE WHEN @sort::text = 'name' THEN lower(COALESCE(a.title, 'Singles')) END,
    CASE WHEN @sort::text = 'frequent' THEN s.play_count END DESC,
    CASE WHEN @sort::text = 'recent' THEN s.played_at END DESC,
    CASE WHEN @sort::text = 'year' THEN COALESCE(a.created_at, s.first_at) END,
    CASE WHEN @sort::text = 'random' THEN random() END,
    COALESCE(a.created_at, s.first_at) DESC, s.artist_did, s.album_id
OFFSET @skip LIMIT @page_limit;

-- name: LibraryGenres :many
-- LibraryGenres is the tags of shown tracks with how many tracks and albums carry them.
SELECT g.name, count(*)::bigint AS track_count,
       count(DISTINCT COALESCE(t.album_id::text, t.artist_did))::bigint AS album_count
FROM catalog.track_tags tt
JOIN catalog.tags g ON g.id = tt.tag_id
JOIN catalog.tracks t ON t.id = tt.track_id
WHERE t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
GROUP BY g.name
ORDER BY track_count DESC, g.name
LIMIT @page_limit;

-- name: LibraryNowPlaying :many
-- LibraryNowPlaying is who is playing what right now, most recent report first.
SELECT n.did, n.track_id, n.reported_at FROM catalog.now_playing n
JOIN catalog.tracks t ON t.id = n.track_id
WHERE n.expires_at > now() AND n.is_playing
  AND t.status = 'ready' AND NOT t.taken_down AND NOT t.deleting
ORDER BY n.reported_at DESC
LIMIT @page_limit;
