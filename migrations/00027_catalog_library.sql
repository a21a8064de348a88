-- The library (the Subsonic API's full listing) walks the shown tracks oldest first, by
-- offset when an app jumps and from the last page's end when it pages on. This index
-- holds exactly the shown tracks in that order, so both walks read the index alone (an
-- offset of 100k skips index entries, not table rows).

-- +goose Up
CREATE INDEX tracks_library_idx ON catalog.tracks (created_at, id)
    WHERE status = 'ready' AND NOT taken_down AND NOT deleting;

-- +goose Down
DROP INDEX catalog.tracks_library_idx;
