-- name: LogEvent :exec
INSERT INTO legal.events (subject_type, subject_id, kind, actor, detail)
VALUES (@subject_type, @subject_id, @kind, @actor, @detail);

-- name: ListEvents :many
SELECT * FROM legal.events WHERE subject_type = @subject_type AND subject_id = @subject_id ORDER BY id;
