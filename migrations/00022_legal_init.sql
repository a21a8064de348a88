-- Legal owns what plyr decides about content and why: copyright scans and their flags,
-- the DMs that tell people about them, reports, sensitive images, takedowns, DMCA notices
-- and the log of every decision. It refers to other modules' rows by id only (tracks,
-- images, accounts), with no foreign keys across schemas.

-- +goose Up
CREATE SCHEMA legal;

-- One scan per track (workflow copyright/<track-id>). A flag is a note for a human: it
-- stays until someone resolves it, whatever a later scan says (the upsert in
-- queries/legal/scans.sql keeps it).
CREATE TABLE legal.copyright_scans (
    track_id        uuid PRIMARY KEY,
    artist_did      text NOT NULL,
    status          text NOT NULL CHECK (status IN ('clear', 'flagged', 'failed')),
    -- matches are the flattened segments AudD matched: [{artist, title, album, isrc,
    -- offsetMs, songLink}], in answer order.
    matches         jsonb NOT NULL DEFAULT '[]',
    match_count     integer NOT NULL DEFAULT 0,
    dominant_artist text NOT NULL DEFAULT '',
    dominant_title  text NOT NULL DEFAULT '',
    dominant_count  integer NOT NULL DEFAULT 0,
    dominant_pct    integer NOT NULL DEFAULT 0,
    threshold_pct   integer NOT NULL,
    -- error says why a failed scan failed (for the admin; never AudD's token).
    error           text NOT NULL DEFAULT '',
    scanned_at      timestamptz NOT NULL DEFAULT now(),
    -- notified_at is when the artist's DM about the flag was delivered.
    notified_at     timestamptz,
    resolution      text CHECK (resolution IN ('false_positive', 'take_down', 'dismiss')),
    resolved_by     text,
    resolved_at     timestamptz,
    resolution_note text NOT NULL DEFAULT '',
    CHECK ((resolution IS NULL) = (resolved_at IS NULL))
);
CREATE INDEX copyright_scans_open_idx ON legal.copyright_scans (scanned_at DESC, track_id)
    WHERE status = 'flagged' AND resolution IS NULL;
CREATE INDEX copyright_scans_scanned_idx ON legal.copyright_scans (scanned_at DESC, track_id);

-- One row per DM plyr means to send, keyed by what it is about (copyright/<track>/artist,
-- report/<id>/admin, …), so that however often a step runs, a recipient gets one message.
-- attempts and first_attempt_at let a retry find a message an earlier attempt sent but
-- never heard back about.
CREATE TABLE legal.notices (
    key              text PRIMARY KEY,
    -- seq orders the notices about one subject as they were recorded.
    seq              bigint GENERATED ALWAYS AS IDENTITY,
    recipient_did    text NOT NULL,
    kind             text NOT NULL,
    body             text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 1000),
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'off')),
    category         text CHECK (category IN ('dm_blocked', 'network', 'auth', 'unknown')),
    error            text NOT NULL DEFAULT '',
    attempts         integer NOT NULL DEFAULT 0,
    first_attempt_at timestamptz,
    message_id       text NOT NULL DEFAULT '',
    sent_at          timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notices_recipient_idx ON legal.notices (recipient_did, created_at DESC);

CREATE TABLE legal.reports (
    id              uuid PRIMARY KEY,
    reporter_did    text NOT NULL,
    target_type     text NOT NULL CHECK (target_type IN ('track', 'artist', 'album', 'playlist', 'tag', 'comment')),
    target_id       text NOT NULL CHECK (char_length(target_id) BETWEEN 1 AND 100),
    target_name     text NOT NULL DEFAULT '' CHECK (char_length(target_name) <= 300),
    target_url      text NOT NULL DEFAULT '' CHECK (char_length(target_url) <= 2000),
    reason          text NOT NULL CHECK (reason IN ('copyright', 'abuse', 'spam', 'explicit', 'other')),
    description     text NOT NULL DEFAULT '' CHECK (char_length(description) <= 1000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    resolution      text CHECK (resolution IN ('false_positive', 'take_down', 'dismiss')),
    resolved_by     text,
    resolved_at     timestamptz,
    resolution_note text NOT NULL DEFAULT '',
    CHECK ((resolution IS NULL) = (resolved_at IS NULL))
);
-- The reporter's own list, and the hourly limit counted from it.
CREATE INDEX reports_reporter_idx ON legal.reports (reporter_did, created_at DESC, id);
CREATE INDEX reports_open_idx ON legal.reports (created_at DESC, id) WHERE resolution IS NULL;
CREATE INDEX reports_created_idx ON legal.reports (created_at DESC, id);

-- Images an admin marked sensitive: the web client blurs them until clicked.
CREATE TABLE legal.sensitive_images (
    image_id  uuid PRIMARY KEY,
    marked_by text NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT now()
);

-- A track taken down is hidden wherever plyr serves it; its artist's records stay. One
-- takedown is in force per track at most; a restored one stays for the record.
CREATE TABLE legal.takedowns (
    id          uuid PRIMARY KEY,
    track_id    uuid NOT NULL,
    artist_did  text NOT NULL,
    -- cause is what led to it: a copyright flag, a report, a DMCA notice, or an admin.
    cause       text NOT NULL CHECK (cause IN ('copyright_flag', 'report', 'dmca', 'admin')),
    cause_id    text NOT NULL DEFAULT '',
    -- copyright counts towards the artist's repeat-infringer tally while in force or
    -- restored for a reason other than a counter-notice.
    copyright   boolean NOT NULL,
    taken_by    text NOT NULL,
    taken_at    timestamptz NOT NULL DEFAULT now(),
    restored_by text,
    restored_at timestamptz,
    restore_reason text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX takedowns_in_force_idx ON legal.takedowns (track_id) WHERE restored_at IS NULL;
CREATE INDEX takedowns_artist_idx ON legal.takedowns (artist_did, taken_at DESC);

-- DMCA notices, entered by an admin as received; the workflow dmca/<id> carries them
-- through takedown, counter-notice and restoration.
CREATE TABLE legal.dmca_notices (
    id                  uuid PRIMARY KEY,
    track_id            uuid NOT NULL,
    artist_did          text NOT NULL,
    complainant_name    text NOT NULL CHECK (char_length(complainant_name) BETWEEN 1 AND 200),
    complainant_contact text NOT NULL CHECK (char_length(complainant_contact) BETWEEN 1 AND 500),
    work                text NOT NULL CHECK (char_length(work) BETWEEN 1 AND 1000),
    urls                text[] NOT NULL,
    statement           text NOT NULL CHECK (char_length(statement) BETWEEN 1 AND 5000),
    status              text NOT NULL DEFAULT 'taken_down'
                        CHECK (status IN ('taken_down', 'countered', 'court_action', 'restored', 'withdrawn')),
    received_by         text NOT NULL,
    received_at         timestamptz NOT NULL DEFAULT now(),
    counter_name        text NOT NULL DEFAULT '',
    counter_contact     text NOT NULL DEFAULT '',
    counter_statement   text NOT NULL DEFAULT '',
    countered_at        timestamptz,
    -- restore_due is when a countered notice's track comes back: 10 business days on.
    restore_due         timestamptz,
    closed_at           timestamptz
);
CREATE INDEX dmca_notices_received_idx ON legal.dmca_notices (received_at DESC, id);
CREATE INDEX dmca_notices_artist_idx ON legal.dmca_notices (artist_did, received_at DESC, id);

-- The record: every decision and every step of a takedown or a DMCA notice, who and when.
CREATE TABLE legal.events (
    id           bigserial PRIMARY KEY,
    subject_type text NOT NULL CHECK (subject_type IN ('flag', 'report', 'takedown', 'dmca', 'image')),
    subject_id   text NOT NULL,
    kind         text NOT NULL,
    -- actor is a DID, or "plyr" for what the system did by itself.
    actor        text NOT NULL,
    detail       text NOT NULL DEFAULT '',
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_subject_idx ON legal.events (subject_type, subject_id, id);

-- +goose Down
DROP SCHEMA legal CASCADE;
