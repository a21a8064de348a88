-- name: GetPreferences :one
-- GetPreferences creates the defaults on first read.
INSERT INTO identity.preferences (did) VALUES ($1)
ON CONFLICT (did) DO UPDATE SET did = EXCLUDED.did
RETURNING *;

-- name: EnsurePreferences :exec
-- EnsurePreferences and ApplyPreferences change the fields given (NULL leaves one as it is); ui_settings is
-- merged key by key into what is there, not replaced.
INSERT INTO identity.preferences (did) VALUES (@did) ON CONFLICT (did) DO NOTHING;

-- name: ApplyPreferences :one
UPDATE identity.preferences
SET accent_color           = COALESCE(sqlc.narg(accent_color), accent_color),
    auto_advance           = COALESCE(sqlc.narg(auto_advance), auto_advance),
    allow_comments         = COALESCE(sqlc.narg(allow_comments), allow_comments),
    hidden_tags            = COALESCE(sqlc.narg(hidden_tags)::text[], hidden_tags),
    enable_teal_scrobbling = COALESCE(sqlc.narg(enable_teal_scrobbling), enable_teal_scrobbling),
    show_sensitive_artwork = COALESCE(sqlc.narg(show_sensitive_artwork), show_sensitive_artwork),
    show_liked_on_profile  = COALESCE(sqlc.narg(show_liked_on_profile), show_liked_on_profile),
    support_url            = COALESCE(sqlc.narg(support_url), support_url),
    pds_audio_uploads      = COALESCE(sqlc.narg(pds_audio_uploads), pds_audio_uploads),
    ui_settings            = ui_settings || COALESCE(sqlc.narg(ui_settings)::jsonb, '{}'::jsonb),
    updated_at             = now()
WHERE did = @did
RETURNING *;

-- name: AcceptTerms :one
-- AcceptTerms records that the account accepted this version of the terms.
INSERT INTO identity.preferences (did, terms_accepted_at, terms_version) VALUES (@did, now(), @version)
ON CONFLICT (did) DO UPDATE SET terms_accepted_at = now(), terms_version = @version, updated_at = now()
RETURNING terms_accepted_at;

-- name: TealScrobbling :one
SELECT enable_teal_scrobbling FROM identity.preferences WHERE did = $1;

-- name: GetHiddenTags :one
-- GetHiddenTags is the tags an account hides from its discovery feed (no row: the default).
SELECT hidden_tags FROM identity.preferences WHERE did = $1;

-- name: PDSAudioUploads :one
-- PDSAudioUploads says whether an account copies its new tracks' audio to its PDS: its
-- preference and the feature flag both.
SELECT COALESCE((SELECT p.pds_audio_uploads FROM identity.preferences p WHERE p.did = @did), false)
   AND EXISTS (SELECT 1 FROM identity.feature_flags f WHERE f.did = @did AND f.flag = 'pds-audio-uploads')
   AS enabled;
