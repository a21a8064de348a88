-- name: SetWordSimilarityThreshold :exec
-- SetWordSimilarityThreshold sets, for the transaction, how alike a match must be.
SELECT set_config('pg_trgm.word_similarity_threshold', @threshold::text, true);

-- Search: each kind is matched by word similarity (q <% name: some extent of name is
-- like q, at least the threshold the transaction set) and read best first straight from its
-- GiST index (ORDER BY q <<-> name, a KNN scan), so a common word costs the rows asked
-- for, not every title that has it. That order must be the only one: a second sort key
-- (even an id to break ties) makes PostgreSQL sort every match, seconds at 1M titles.
-- relevance is mostly the word similarity, then the whole name's similarity, so that of
-- two titles with the word, the one that is little else ranks first (the caller sorts the
-- rows read by it). How many rows came back (at most @max_rows) is the kind's count.

-- name: SearchTracks :many
SELECT id, (0.9 * word_similarity(@q::text, title) + 0.1 * similarity(@q::text, title))::real AS relevance
FROM catalog.tracks
WHERE status = 'ready' AND NOT taken_down AND NOT deleting AND @q::text <% title
ORDER BY @q::text <<-> title
LIMIT @max_rows;

-- name: SearchAlbums :many
SELECT id, (0.9 * word_similarity(@q::text, title) + 0.1 * similarity(@q::text, title))::real AS relevance
FROM catalog.albums
WHERE NOT deleting AND @q::text <% title
ORDER BY @q::text <<-> title
LIMIT @max_rows;

-- name: SearchTags :many
SELECT t.name, (SELECT count(*) FROM catalog.track_tags tt WHERE tt.tag_id = t.id) AS track_count,
       (0.9 * word_similarity(@q::text, t.name) + 0.1 * similarity(@q::text, t.name))::real AS relevance
FROM catalog.tags t
WHERE @q::text <% t.name
ORDER BY @q::text <<-> t.name
LIMIT @max_rows;

-- name: SearchPlaylists :many
SELECT id, (0.9 * word_similarity(@q::text, name) + 0.1 * similarity(@q::text, name))::real AS relevance
FROM catalog.playlists
WHERE NOT private AND @q::text <% name
ORDER BY @q::text <<-> name
LIMIT @max_rows;

-- name: ListArtistDIDs :many
-- ListArtistDIDs is which of @dids are artists with a ready track (artists rank above
-- listeners in search).
SELECT DISTINCT artist_did FROM catalog.tracks WHERE artist_did = ANY(@dids::text[]) AND status = 'ready' AND NOT taken_down AND NOT deleting;

-- name: NearestTitleWords :many
-- NearestTitleWords is, for each of @words, the known title word most like it (by trigram
-- similarity, read best first from the index), how alike they are (1: the same word) and
-- on how many tracks it is.
SELECT typed.word::text AS typed, best.word AS known, best.likeness, best.tracks
FROM unnest(@words::text[]) AS typed(word)
CROSS JOIN LATERAL (
    SELECT w.word, similarity(w.word, typed.word)::real AS likeness, w.tracks
    FROM catalog.title_words w
    ORDER BY w.word <-> typed.word
    LIMIT 1
) best;

-- name: SearchTracksWithWords :many
-- SearchTracksWithWords is the tracks whose titles hold every one of @words (at most
-- @max_rows), from the GIN index of title words, with their relevance to @q.
SELECT id, (0.9 * word_similarity(@q::text, title) + 0.1 * similarity(@q::text, title))::real AS relevance
FROM catalog.tracks
WHERE status = 'ready' AND NOT taken_down AND NOT deleting AND catalog.title_word_list(title) @> @words::text[]
LIMIT @max_rows;
