-- name: CreateNotice :exec
-- CreateNotice records a DM to send; a notice with the same key already recorded (an
-- earlier run of the same step) is kept as it is, text included.
INSERT INTO legal.notices (key, recipient_did, kind, body) VALUES (@key, @recipient_did, @kind, @body)
ON CONFLICT (key) DO NOTHING;

-- name: GetNotice :one
SELECT * FROM legal.notices WHERE key = @key;

-- name: BeginNoticeAttempt :one
-- BeginNoticeAttempt counts an attempt before the message goes out, so that the attempt
-- after one that may have sent it knows to look first.
UPDATE legal.notices
SET attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, now())
WHERE key = @key AND status = 'pending'
RETURNING *;

-- name: MarkNoticeSent :exec
UPDATE legal.notices SET status = 'sent', message_id = @message_id, sent_at = now(), category = NULL, error = ''
WHERE key = @key AND status <> 'sent';

-- name: MarkNoticeFailed :exec
UPDATE legal.notices SET status = 'failed', category = @category, error = @error
WHERE key = @key AND status = 'pending';

-- name: MarkNoticeOff :exec
UPDATE legal.notices SET status = 'off' WHERE key = @key AND status = 'pending';

-- name: NoticesWithPrefix :many
-- NoticesWithPrefix are the notices about one subject (keys share its prefix).
SELECT * FROM legal.notices WHERE key LIKE @prefix::text || '%' ORDER BY seq;

-- name: StalledNotices :many
-- StalledNotices are DMs still pending that were recorded before @before: their
-- workflows' starts were lost.
SELECT key FROM legal.notices WHERE status = 'pending' AND created_at < @before ORDER BY created_at LIMIT @max_rows;
