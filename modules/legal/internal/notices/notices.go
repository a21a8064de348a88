// Package notices sends plyr's DMs: a copyright notice to an artist, a flag or a report
// to the admin, a takedown or a restoration to an artist. Each DM is a row first, keyed by
// what it is about (copyright/<track>/artist…), so that however often a step runs its
// recipient gets one message:
//
//   - Create records the DM with its text; again with the same key keeps the first text.
//   - Send sends a pending DM and marks it sent. Before each attempt it counts the attempt;
//     an attempt after one that may have sent the message but never heard back (the
//     worker died, the chat service timed out after accepting it) first looks for the
//     message in the conversation (the Sender's dedupe) instead of sending it again.
//   - A DM that cannot be sent is marked failed with a category (dm_blocked, network,
//     auth, unknown) by whoever gave up on it (the workflow, after its retries); a blocked
//     DM is not retried at all.
//
// Without a Sender (no platform account configured) DMs are marked off, not sent.
package notices

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/modules/legal/internal/db"
)

// Kinds of DM.
const (
	CopyrightArtist = "copyright_artist"
	CopyrightAdmin  = "copyright_admin"
	ReportAdmin     = "report_admin"
	TakedownArtist  = "takedown_artist"
	RestoreArtist   = "restore_artist"
	DMCAArtist      = "dmca_artist"
	RepeatAdmin     = "repeat_infringer_admin"
)

// Categories of failure.
const (
	Blocked = "dm_blocked"
	Network = "network"
	Auth    = "auth"
	Unknown = "unknown"
)

// Statuses of a DM.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
	StatusOff     = "off"
)

// MaxText bounds a DM's text (Bluesky chat takes 1000 graphemes).
const MaxText = 1000

// dedupeMargin widens the look for an earlier attempt's message, for clocks that differ
// between plyr and the chat service.
const dedupeMargin = 5 * time.Minute

// Sender sends one DM (chat.Sender in production).
type Sender interface {
	// Send sends text to recipientDID; with dedupeAfter set, a message with the same text
	// sent since then counts as this one.
	Send(ctx context.Context, recipientDID, text string, dedupeAfter time.Time) (messageID string, err error)
	// Category says what kind of failure err is: Blocked, Network, Auth or Unknown.
	Category(err error) string
}

// Notice is a DM to record.
type Notice struct {
	Key          string
	RecipientDID string
	Kind         string
	Text         string
}

// Notices is the feature.
type Notices struct {
	q      *db.Queries
	sender Sender
}

// New returns the feature; sender nil turns DMs off.
func New(q *db.Queries, sender Sender) *Notices { return &Notices{q: q, sender: sender} }

// Enabled says whether DMs are sent.
func (n *Notices) Enabled() bool { return n.sender != nil }

// Create records a DM through q (a transaction's, with what it is about). A DM already
// recorded under the key is kept as it is.
func Create(ctx context.Context, q *db.Queries, n Notice) error {
	err := q.CreateNotice(ctx, db.CreateNoticeParams{Key: n.Key, RecipientDid: n.RecipientDID, Kind: n.Kind, Body: Clip(n.Text, MaxText)})
	if err != nil {
		return fmt.Errorf("record notice %s: %w", n.Key, err)
	}
	return nil
}

// SendError is a DM that could not be sent this time.
type SendError struct {
	Category string
	Err      error
}

func (e *SendError) Error() string { return fmt.Sprintf("send DM (%s): %v", e.Category, e.Err) }
func (e *SendError) Unwrap() error { return e.Err }

// Retryable says whether another attempt may succeed: a DM the recipient blocked will not.
func (e *SendError) Retryable() bool { return e.Category != Blocked }

// ErrUnknownNotice marks a key with no DM recorded.
var ErrUnknownNotice = errors.New("no such notice")

// Outcome is what Send did.
type Outcome struct {
	Notice db.Notice
	// Sent is true when the DM is (now or already) sent.
	Sent bool
}

// Send sends the DM recorded under key unless it was sent or given up on; a *SendError
// when the chat service refused or could not be reached.
func (n *Notices) Send(ctx context.Context, key string) (Outcome, error) {
	row, err := n.q.GetNotice(ctx, key)
	if errors.Is(err, pgx.ErrNoRows) {
		return Outcome{}, fmt.Errorf("notice %s: %w", key, ErrUnknownNotice)
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("load notice %s: %w", key, err)
	}
	if row.Status != StatusPending {
		return Outcome{Notice: row, Sent: row.Status == StatusSent}, nil
	}
	if n.sender == nil {
		if err := n.q.MarkNoticeOff(ctx, key); err != nil {
			return Outcome{}, fmt.Errorf("mark notice %s off: %w", key, err)
		}
		row.Status = StatusOff
		return Outcome{Notice: row}, nil
	}
	row, err = n.q.BeginNoticeAttempt(ctx, key)
	if errors.Is(err, pgx.ErrNoRows) {
		return n.Send(ctx, key) // settled meanwhile by another attempt: report that
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("count an attempt at notice %s: %w", key, err)
	}
	var dedupe time.Time
	if row.Attempts > 1 && row.FirstAttemptAt != nil {
		dedupe = row.FirstAttemptAt.Add(-dedupeMargin)
	}
	id, err := n.sender.Send(ctx, row.RecipientDid, row.Body, dedupe)
	if err != nil {
		return Outcome{}, &SendError{Category: n.sender.Category(err), Err: err}
	}
	if err := n.q.MarkNoticeSent(ctx, db.MarkNoticeSentParams{Key: key, MessageID: id}); err != nil {
		return Outcome{}, fmt.Errorf("mark notice %s sent: %w", key, err)
	}
	row.Status, row.MessageID = StatusSent, id
	return Outcome{Notice: row, Sent: true}, nil
}

// Fail records that a pending DM was given up on, with why.
func (n *Notices) Fail(ctx context.Context, key, category, reason string) error {
	switch category {
	case Blocked, Network, Auth, Unknown:
	default:
		category = Unknown
	}
	err := n.q.MarkNoticeFailed(ctx, db.MarkNoticeFailedParams{Key: key, Category: &category, Error: Clip(reason, 500)})
	if err != nil {
		return fmt.Errorf("mark notice %s failed: %w", key, err)
	}
	return nil
}

// About returns the DMs whose keys start with prefix (those about one subject).
func (n *Notices) About(ctx context.Context, prefix string) ([]db.Notice, error) {
	rows, err := n.q.NoticesWithPrefix(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("load notices %s: %w", prefix, err)
	}
	return rows, nil
}

// Pending returns the keys of the DMs under prefix still to send.
func (n *Notices) Pending(ctx context.Context, prefix string) ([]string, error) {
	rows, err := n.About(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, r := range rows {
		if r.Status == StatusPending {
			keys = append(keys, r.Key)
		}
	}
	return keys, nil
}

// Clip shortens s to at most max characters, marking a cut with an ellipsis.
func Clip(s string, max int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}
