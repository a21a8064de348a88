-- The version of the terms of service and privacy policy an account accepted. A new
-- version (legal's documents) asks again; accounts that accepted before versions existed
-- accepted none.

-- +goose Up
ALTER TABLE identity.preferences ADD COLUMN terms_version text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE identity.preferences DROP COLUMN terms_version;
