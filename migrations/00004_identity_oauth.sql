-- ATProto sign-in. A grant is what a PDS gave plyr for one account at one sign-in (tokens,
-- DPoP key: sealed). A session (a browser cookie or a developer token) holds one or more
-- accounts, each through its grant; sessions.did is the session's current account.

-- +goose Up
ALTER TABLE identity.accounts
    ADD COLUMN avatar_url text NOT NULL DEFAULT '',
    ADD COLUMN pds_url text NOT NULL DEFAULT '';

CREATE TABLE identity.grants (
    id                text PRIMARY KEY,
    did               text NOT NULL REFERENCES identity.accounts (did) ON DELETE CASCADE,
    -- indigo's session data (access and refresh tokens, DPoP key and nonces), sealed with
    -- the grant id as associated data.
    sealed_data       bytea NOT NULL,
    scope             text NOT NULL,
    confidential      boolean NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    refreshed_at      timestamptz NOT NULL DEFAULT now(),
    -- The access token's own expiry, when it can be read; refreshing happens past it.
    access_expires_at timestamptz,
    -- When the refresh grant lapses: the session is worth nothing after it.
    expires_at        timestamptz NOT NULL
);

CREATE INDEX grants_did_idx ON identity.grants (did);

CREATE TABLE identity.session_accounts (
    session_id uuid NOT NULL REFERENCES identity.sessions (id) ON DELETE CASCADE,
    did        text NOT NULL REFERENCES identity.accounts (did) ON DELETE CASCADE,
    -- NULL for operator tokens (plyr admin token), which reach no PDS.
    grant_id   text REFERENCES identity.grants (id) ON DELETE SET NULL,
    linked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, did)
);

CREATE INDEX session_accounts_grant_idx ON identity.session_accounts (grant_id);

-- Sessions made before this migration hold their one account, without a grant.
INSERT INTO identity.session_accounts (session_id, did)
SELECT id, did FROM identity.sessions;

-- Authorization requests in flight (indigo's request data, sealed with the state as
-- associated data) and what plyr does when the user comes back.
CREATE TABLE identity.auth_requests (
    state             text PRIMARY KEY,
    sealed_data       bytea NOT NULL,
    flow              text NOT NULL
        CHECK (flow IN ('login', 'signup', 'add_account', 'developer_token', 'scope_upgrade')),
    session_id        uuid REFERENCES identity.sessions (id) ON DELETE CASCADE,
    expected_did      text NOT NULL DEFAULT '',
    token_name        text NOT NULL DEFAULT '',
    token_ttl_seconds bigint NOT NULL DEFAULT 0,
    return_to         text NOT NULL DEFAULT '/',
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL
);

-- A new developer token is handed over once, to the browser session that asked for it:
-- the callback leaves a one-time code, and claiming it mints the token.
CREATE TABLE identity.token_claims (
    code_hash        bytea PRIMARY KEY CHECK (octet_length(code_hash) = 32),
    session_id       uuid NOT NULL REFERENCES identity.sessions (id) ON DELETE CASCADE,
    token_session_id uuid NOT NULL REFERENCES identity.sessions (id) ON DELETE CASCADE,
    expires_at       timestamptz NOT NULL
);

CREATE TABLE identity.preferences (
    did                    text PRIMARY KEY REFERENCES identity.accounts (did) ON DELETE CASCADE,
    accent_color           text NOT NULL DEFAULT '#6a9fff',
    auto_advance           boolean NOT NULL DEFAULT true,
    allow_comments         boolean NOT NULL DEFAULT false,
    hidden_tags            text[] NOT NULL DEFAULT '{ai}',
    enable_teal_scrobbling boolean NOT NULL DEFAULT false,
    show_sensitive_artwork boolean NOT NULL DEFAULT false,
    show_liked_on_profile  boolean NOT NULL DEFAULT false,
    support_url            text NOT NULL DEFAULT '',
    ui_settings            jsonb NOT NULL DEFAULT '{}',
    terms_accepted_at      timestamptz,
    updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE identity.feature_flags (
    did        text NOT NULL REFERENCES identity.accounts (did) ON DELETE CASCADE,
    flag       text NOT NULL CHECK (flag ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (did, flag)
);

-- +goose Down
DROP TABLE identity.feature_flags;
DROP TABLE identity.preferences;
DROP TABLE identity.token_claims;
DROP TABLE identity.auth_requests;
DROP TABLE identity.session_accounts;
DROP TABLE identity.grants;
ALTER TABLE identity.accounts DROP COLUMN avatar_url, DROP COLUMN pds_url;
