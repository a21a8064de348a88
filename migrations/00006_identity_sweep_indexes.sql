-- +goose Up
-- What the housekeeping sweeps (queries/identity/housekeeping.sql) look rows up by, so a
-- sweep reads the few rows past their time instead of every session, grant and request.
CREATE INDEX sessions_expires_idx ON identity.sessions (expires_at);
CREATE INDEX sessions_unclaimed_idx ON identity.sessions (created_at) WHERE kind = 'developer' AND token_prefix = '';
CREATE INDEX grants_expires_idx ON identity.grants (expires_at);
CREATE INDEX grants_created_idx ON identity.grants (created_at);
CREATE INDEX auth_requests_expires_idx ON identity.auth_requests (expires_at);
CREATE INDEX token_claims_expires_idx ON identity.token_claims (expires_at);

-- +goose Down
DROP INDEX identity.sessions_expires_idx;
DROP INDEX identity.sessions_unclaimed_idx;
DROP INDEX identity.grants_expires_idx;
DROP INDEX identity.grants_created_idx;
DROP INDEX identity.auth_requests_expires_idx;
DROP INDEX identity.token_claims_expires_idx;
