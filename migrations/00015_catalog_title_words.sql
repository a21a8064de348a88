-- The words of track titles, for spelling: a search word that is no title's word is
-- replaced by the known word most like it before titles are searched. Searching titles
-- for a word one letter off costs a trigram index walk through every title with a near
-- match (measured: 100 ms at 1M titles, growing with the catalog); finding the word in
-- the vocabulary first costs a walk through the words (a few ms for a few words), after
-- which the title search is the cheap one, for a word that exists.
--
-- Words are added by triggers as titles are written (a statement-level trigger for
-- inserts, so a COPY of many tracks adds their words in one statement) and never removed:
-- a word no title uses any more only costs a search that finds nothing.

-- +goose Up
CREATE TABLE catalog.title_words (
    word text PRIMARY KEY CHECK (char_length(word) BETWEEN 2 AND 64)
);
CREATE INDEX title_words_trgm ON catalog.title_words USING gist (word gist_trgm_ops(siglen=64));

-- +goose StatementBegin
CREATE FUNCTION catalog.words_of(title text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT DISTINCT w FROM regexp_split_to_table(lower(title), '[^[:alnum:]]+') AS w
    WHERE char_length(w) BETWEEN 2 AND 64
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION catalog.note_inserted_title_words() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalog.title_words (word)
    SELECT DISTINCT w FROM new_tracks t, catalog.words_of(t.title) AS w
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION catalog.note_updated_title_words() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalog.title_words (word) SELECT w FROM catalog.words_of(NEW.title) AS w
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER tracks_title_words_on_insert AFTER INSERT ON catalog.tracks
    REFERENCING NEW TABLE AS new_tracks FOR EACH STATEMENT EXECUTE FUNCTION catalog.note_inserted_title_words();
-- A row trigger on the title alone: counters change tracks far more often than titles do.
CREATE TRIGGER tracks_title_words_on_update AFTER UPDATE OF title ON catalog.tracks
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION catalog.note_updated_title_words();

INSERT INTO catalog.title_words (word)
SELECT DISTINCT w FROM catalog.tracks t, catalog.words_of(t.title) AS w
ON CONFLICT DO NOTHING;

-- +goose Down
DROP TRIGGER tracks_title_words_on_update ON catalog.tracks;
DROP TRIGGER tracks_title_words_on_insert ON catalog.tracks;
DROP FUNCTION catalog.note_updated_title_words();
DROP FUNCTION catalog.note_inserted_title_words();
DROP FUNCTION catalog.words_of(text);
DROP TABLE catalog.title_words;
