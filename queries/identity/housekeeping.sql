-- Housekeeping: what has outlived its use, removed in small batches by the housekeeping
-- workflow (workflows/housekeeping). Each statement picks and deletes its batch at once,
-- so a row that stops qualifying in between is never taken, and two sweeps running at
-- the same time skip each other's rows.

-- name: SweepExpiredSessions :many
-- SweepExpiredSessions removes at most @max_rows sessions that can no longer
-- authenticate (their own expiry, or their current account's grant's, has passed) and
-- returns each removed session with the grants it held (a NULL grant for a session that
-- held none), to revoke.
WITH doomed AS (
    SELECT s.id
    FROM identity.sessions s
    LEFT JOIN identity.session_accounts sa ON sa.session_id = s.id AND sa.did = s.did
    LEFT JOIN identity.grants g ON g.id = sa.grant_id
    WHERE s.expires_at <= @now OR g.expires_at <= @now
    ORDER BY s.expires_at
    LIMIT @max_rows
    FOR UPDATE OF s SKIP LOCKED
), links AS (
    DELETE FROM identity.session_accounts sa USING doomed
    WHERE sa.session_id = doomed.id
    RETURNING sa.session_id, sa.grant_id
), sessions AS (
    DELETE FROM identity.sessions s USING doomed
    WHERE s.id = doomed.id
    RETURNING s.id
)
SELECT sessions.id AS session_id, links.grant_id
FROM sessions LEFT JOIN links ON links.session_id = sessions.id;

-- name: SweepUnclaimedDeveloperTokens :many
-- SweepUnclaimedDeveloperTokens removes at most @max_rows developer tokens made before
-- @made_before that were never claimed (an unclaimed token has no prefix), and returns
-- each with its grant, to revoke.
WITH doomed AS (
    SELECT s.id
    FROM identity.sessions s
    WHERE s.kind = 'developer' AND s.token_prefix = '' AND s.created_at < @made_before
    ORDER BY s.created_at
    LIMIT @max_rows
    FOR UPDATE SKIP LOCKED
), links AS (
    DELETE FROM identity.session_accounts sa USING doomed
    WHERE sa.session_id = doomed.id
    RETURNING sa.session_id, sa.grant_id
), sessions AS (
    DELETE FROM identity.sessions s USING doomed
    WHERE s.id = doomed.id
    RETURNING s.id
)
SELECT sessions.id AS session_id, links.grant_id
FROM sessions LEFT JOIN links ON links.session_id = sessions.id;

-- name: ListAbandonedGrants :many
-- ListAbandonedGrants is at most @max_rows grants made before @made_before that no
-- session holds: left behind when a sweep stopped between deleting sessions and revoking
-- their grants, or when a sign-in never finished. A sign-in links its grant within
-- seconds, so an old unlinked grant is never linked again.
SELECT g.id, g.did
FROM identity.grants g
WHERE g.created_at < @made_before
  AND NOT EXISTS (SELECT 1 FROM identity.session_accounts sa WHERE sa.grant_id = g.id)
ORDER BY g.created_at
LIMIT @max_rows;

-- name: SweepExpiredTokenClaims :execrows
-- SweepExpiredTokenClaims removes at most @max_rows developer token claim codes past
-- their expiry (a spent code is deleted when it is spent).
DELETE FROM identity.token_claims
WHERE code_hash IN (
    SELECT c.code_hash FROM identity.token_claims c WHERE c.expires_at <= @now
    LIMIT @max_rows FOR UPDATE SKIP LOCKED
);

-- name: SweepStaleAuthRequests :execrows
-- SweepStaleAuthRequests removes at most @max_rows sign-in requests past their expiry:
-- sign-ins that were started and never came back.
DELETE FROM identity.auth_requests
WHERE state IN (
    SELECT r.state FROM identity.auth_requests r WHERE r.expires_at <= @now
    LIMIT @max_rows FOR UPDATE SKIP LOCKED
);
