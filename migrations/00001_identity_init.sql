-- Identity owns accounts (an ATProto identity known to plyr) and sessions (a bearer
-- credential bound to one account: a browser session or a developer token).

-- +goose Up
CREATE SCHEMA identity;

CREATE TABLE identity.accounts (
    did        text PRIMARY KEY,
    handle     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A session's token is never stored: only its SHA-256 (tokens are 256 random bits, so a
-- fast hash is enough) and a short prefix to tell tokens apart in listings.
CREATE TABLE identity.sessions (
    id           uuid PRIMARY KEY,
    token_hash   bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    token_prefix text NOT NULL,
    did          text NOT NULL REFERENCES identity.accounts (did) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('browser', 'developer')),
    name         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);

CREATE INDEX sessions_did_idx ON identity.sessions (did);

-- +goose Down
DROP SCHEMA identity CASCADE;
