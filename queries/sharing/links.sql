-- name: InsertLink :execrows
-- InsertLink adds a link; 0 rows when the code is taken (the caller draws another).
INSERT INTO sharing.links (code, track_id, creator_did, created_at)
VALUES (@code, @track_id, @creator_did, @created_at)
ON CONFLICT (code) DO NOTHING;

-- name: CountLinksSince :one
SELECT count(*) FROM sharing.links WHERE creator_did = @creator_did AND created_at > @since;

-- name: GetLink :one
SELECT code, track_id, creator_did FROM sharing.links WHERE code = $1;

-- name: AddUse :execrows
-- AddUse counts one use of a link by a person: a new row, or one more on theirs when
-- their last counted use is older than counted_since (a repeat within that counts nothing;
-- the one upsert decides, so concurrent repeats cannot both count).
INSERT INTO sharing.link_uses AS u (code, kind, person, anonymous, first_at, last_at)
VALUES (@code, @kind, @person, @is_anonymous, @used_at, @used_at)
ON CONFLICT (code, kind, person) DO UPDATE SET count = u.count + 1, last_at = EXCLUDED.last_at
WHERE u.last_at < @counted_since;

-- name: TouchLink :exec
UPDATE sharing.links SET last_used_at = greatest(last_used_at, @used_at::timestamptz) WHERE code = @code;

-- name: ListUsedLinks :many
-- ListUsedLinks is a creator's links someone else used, most recently used first, after
-- the page position (before_at, before_code).
SELECT code, track_id, created_at, last_used_at::timestamptz AS last_used_at
FROM sharing.links
WHERE creator_did = @creator_did AND last_used_at IS NOT NULL
  AND (last_used_at, code) < (@before_at::timestamptz, @before_code::text)
ORDER BY last_used_at DESC, code DESC
LIMIT @page_size;

-- name: LinkTotals :many
-- LinkTotals are, per link and kind, how many signed-in people used it and how many
-- times people not signed in did.
SELECT code, kind,
       count(*) FILTER (WHERE NOT anonymous)::bigint AS people,
       coalesce(sum(count) FILTER (WHERE anonymous), 0)::bigint AS anonymous_uses
FROM sharing.link_uses
WHERE code = ANY(@codes::text[])
GROUP BY code, kind;

-- name: LinkPeople :many
-- LinkPeople are the signed-in people who used the links, per link and kind the most
-- recent first, at most per_kind of each.
SELECT code, kind, person, count
FROM (
    SELECT code, kind, person, count, last_at,
           row_number() OVER (PARTITION BY code, kind ORDER BY last_at DESC, person) AS n
    FROM sharing.link_uses
    WHERE code = ANY(@codes::text[]) AND NOT anonymous
) ranked
WHERE n <= @per_kind::bigint
ORDER BY code, kind, last_at DESC, person;
