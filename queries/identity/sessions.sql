-- name: CreateSession :one
INSERT INTO identity.sessions (id, token_hash, token_prefix, did, kind, name, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: GetSessionByTokenHash :one
-- GetSessionByTokenHash finds a live session with its current account and that account's
-- grant (none for operator tokens).
SELECT s.id, s.did, s.kind, s.expires_at, a.handle,
       sa.grant_id, g.expires_at AS grant_expires_at, g.access_expires_at
FROM identity.sessions s
JOIN identity.accounts a ON a.did = s.did
JOIN identity.session_accounts sa ON sa.session_id = s.id AND sa.did = s.did
LEFT JOIN identity.grants g ON g.id = sa.grant_id
WHERE s.token_hash = $1 AND s.expires_at > now();

-- name: LinkAccount :exec
-- LinkAccount adds an account to a session, or gives a linked account its new grant.
INSERT INTO identity.session_accounts (session_id, did, grant_id)
VALUES ($1, $2, $3)
ON CONFLICT (session_id, did) DO UPDATE SET grant_id = EXCLUDED.grant_id, linked_at = now();

-- name: GetLink :one
SELECT sa.grant_id, g.expires_at AS grant_expires_at
FROM identity.session_accounts sa
LEFT JOIN identity.grants g ON g.id = sa.grant_id
WHERE sa.session_id = $1 AND sa.did = $2;

-- name: ListLinkedAccounts :many
-- ListLinkedAccounts is a session's accounts, first linked first.
SELECT sa.did, a.handle, a.avatar_url, sa.grant_id, g.expires_at AS grant_expires_at
FROM identity.session_accounts sa
JOIN identity.accounts a ON a.did = sa.did
LEFT JOIN identity.grants g ON g.id = sa.grant_id
WHERE sa.session_id = $1
ORDER BY sa.linked_at, sa.did;

-- name: SetCurrentAccount :execrows
UPDATE identity.sessions SET did = $2 WHERE id = $1 AND expires_at > now();

-- name: UnlinkAccount :one
DELETE FROM identity.session_accounts WHERE session_id = $1 AND did = $2
RETURNING grant_id;

-- name: GetSession :one
SELECT * FROM identity.sessions WHERE id = $1 AND expires_at > now();

-- name: DeleteSession :many
-- DeleteSession removes a session and returns the grants it held, to revoke.
WITH gone AS (
    DELETE FROM identity.session_accounts WHERE session_id = $1 RETURNING grant_id
), s AS (
    DELETE FROM identity.sessions WHERE id = $1
)
SELECT grant_id FROM gone WHERE grant_id IS NOT NULL;

-- name: SetSessionToken :execrows
-- SetSessionToken gives a claimed developer token its real token.
UPDATE identity.sessions SET token_hash = $2, token_prefix = $3 WHERE id = $1;

-- name: ListDeveloperTokens :many
-- ListDeveloperTokens is an account's claimed, live developer tokens; each expires with the
-- earlier of its own lifetime and its grant's.
SELECT s.id, s.token_prefix, s.name, s.created_at,
       LEAST(s.expires_at, COALESCE(g.expires_at, s.expires_at))::timestamptz AS expires_at
FROM identity.sessions s
JOIN identity.session_accounts sa ON sa.session_id = s.id AND sa.did = s.did
LEFT JOIN identity.grants g ON g.id = sa.grant_id
WHERE s.did = $1 AND s.kind = 'developer' AND s.token_prefix <> ''
  AND s.expires_at > now() AND (g.id IS NULL OR g.expires_at > now())
ORDER BY s.created_at DESC;

-- name: FindDeveloperTokens :many
-- FindDeveloperTokens is an account's developer tokens matching prefix: the start of their
-- stored prefix, or a longer start of the token itself.
SELECT id FROM identity.sessions
WHERE did = $1 AND kind = 'developer' AND token_prefix <> ''
  AND (starts_with(token_prefix, @prefix::text) OR starts_with(@prefix::text, token_prefix));

-- name: GetMeView :many
-- GetMeView is what GetMe shows, in one trip: a session's accounts, first linked first,
-- each with its grant's expiry; for the account the session acts as (current), also its
-- feature flags and when it accepted the terms.
SELECT sa.did, a.handle, a.avatar_url, sa.grant_id, g.expires_at AS grant_expires_at,
       (sa.did = s.did)::boolean AS current,
       (CASE WHEN sa.did = s.did THEN
            COALESCE((SELECT array_agg(f.flag ORDER BY f.flag) FROM identity.feature_flags f WHERE f.did = sa.did), '{}')
        ELSE '{}' END)::text[] AS flags,
       (SELECT p.terms_accepted_at FROM identity.preferences p WHERE p.did = sa.did AND sa.did = s.did) AS terms_accepted_at,
       COALESCE((SELECT p.terms_version FROM identity.preferences p WHERE p.did = sa.did AND sa.did = s.did), '')::text
           AS terms_version
FROM identity.session_accounts sa
JOIN identity.sessions s ON s.id = sa.session_id
JOIN identity.accounts a ON a.did = sa.did
LEFT JOIN identity.grants g ON g.id = sa.grant_id
WHERE sa.session_id = $1
ORDER BY sa.linked_at, sa.did;
