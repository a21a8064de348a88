-- The words of track titles, with how many tracks hold each, for two things search needs:
--
--   spelling: a search word that is no title's word is replaced by the known word most
--     like it before titles are searched. A trigram search of titles for a word one letter
--     off walks every title with a near match (100 ms at 1M titles, growing with the
--     catalog); finding the word among the words first costs a few ms.
--   rare words: a trigram search for a word few titles hold also walks far to fill a page;
--     when the rarest word of a query is on few tracks, the titles holding every word are
--     read from a GIN index of title words instead (a fraction of a millisecond), all of
--     them, and ranked.
--
-- Counts are kept by triggers as tracks are written (a statement-level trigger for inserts
-- and deletes, so a COPY or a cascade counts in one statement). They count tracks of every
-- status, and a word no track holds any more stays at 0: both only steer the choice above.

-- +goose Up
CREATE TABLE catalog.title_words (
    word   text PRIMARY KEY CHECK (char_length(word) BETWEEN 2 AND 64),
    tracks bigint NOT NULL DEFAULT 0
);
CREATE INDEX title_words_trgm ON catalog.title_words USING gist (word gist_trgm_ops(siglen=64));

-- +goose StatementBegin
CREATE FUNCTION catalog.title_word_list(title text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT COALESCE(array_agg(DISTINCT w), '{}') FROM regexp_split_to_table(lower(title), '[^[:alnum:]]+') AS w
    WHERE char_length(w) BETWEEN 2 AND 64
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION catalog.count_title_words(titles text[], delta bigint) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO catalog.title_words AS tw (word, tracks)
    SELECT w, count(*) * delta FROM unnest(titles) AS t(title), unnest(catalog.title_word_list(t.title)) AS w GROUP BY w
    ON CONFLICT (word) DO UPDATE SET tracks = GREATEST(tw.tracks + EXCLUDED.tracks, 0)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION catalog.note_title_words() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM catalog.count_title_words(ARRAY(SELECT title FROM new_tracks), 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM catalog.count_title_words(ARRAY(SELECT title FROM old_tracks), -1);
    ELSE -- a title changed (row trigger)
        PERFORM catalog.count_title_words(ARRAY[OLD.title], -1);
        PERFORM catalog.count_title_words(ARRAY[NEW.title], 1);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER tracks_title_words_on_insert AFTER INSERT ON catalog.tracks
    REFERENCING NEW TABLE AS new_tracks FOR EACH STATEMENT EXECUTE FUNCTION catalog.note_title_words();
CREATE TRIGGER tracks_title_words_on_delete AFTER DELETE ON catalog.tracks
    REFERENCING OLD TABLE AS old_tracks FOR EACH STATEMENT EXECUTE FUNCTION catalog.note_title_words();
-- A row trigger on the title alone: counters change tracks far more often than titles do.
CREATE TRIGGER tracks_title_words_on_update AFTER UPDATE OF title ON catalog.tracks
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION catalog.note_title_words();

-- Titles by their words, for the rare-word search.
CREATE INDEX tracks_title_words ON catalog.tracks USING gin (catalog.title_word_list(title))
    WHERE status = 'ready' AND NOT deleting;

SELECT catalog.count_title_words(ARRAY(SELECT title FROM catalog.tracks), 1);

-- +goose Down
DROP INDEX catalog.tracks_title_words;
DROP TRIGGER tracks_title_words_on_update ON catalog.tracks;
DROP TRIGGER tracks_title_words_on_delete ON catalog.tracks;
DROP TRIGGER tracks_title_words_on_insert ON catalog.tracks;
DROP FUNCTION catalog.note_title_words();
DROP FUNCTION catalog.count_title_words(text[], bigint);
DROP FUNCTION catalog.title_word_list(text);
DROP TABLE catalog.title_words;
