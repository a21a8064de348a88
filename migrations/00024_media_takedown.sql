-- A taken-down track's files: /audio answers 451 to anyone but their owner.

-- +goose Up
ALTER TABLE media.files ADD COLUMN taken_down boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE media.files DROP COLUMN taken_down;
