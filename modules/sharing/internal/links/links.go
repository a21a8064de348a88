// Package links keeps share links and what came of them: a link is made per share action
// (an 8-character code from 48 random bits), and each person's visits and plays through it
// are counted, a repeat visit within VisitWindow counting nothing. The link's creator is
// never counted, and people who were not signed in are counted apart, by the day's
// visitor hash, so their numbers are never mixed with people's.
package links

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/plyrfm/plyr/internal/platform/cursor"
	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/sharing/internal/db"
)

// Limits and windows.
const (
	// VisitWindow is how long a person's visit through a link lasts: reopening the link
	// within it is the same visit.
	VisitWindow = 30 * time.Minute
	// DefaultPerHour bounds the links one account makes an hour.
	DefaultPerHour = 120
	// MaxPeople is how many people of each kind a listed link names.
	MaxPeople = 50
	// codeTries is how often a colliding code is drawn again before giving up.
	codeTries = 5
)

// Errors of the feature.
var (
	ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")
	ErrTooMany      = rpc.NewError(connect.CodeResourceExhausted, "too many share links; try again later")
	ErrNoCode       = rpc.NewError(connect.CodeInternal, "could not make a share link; try again")
)

var codeShape = regexp.MustCompile(`^[A-Za-z0-9_-]{8}$`)

// ValidCode reports whether s could be a code plyr made.
func ValidCode(s string) bool { return codeShape.MatchString(s) }

// Links is the feature.
type Links struct {
	q       *db.Queries
	perHour int
	now     func() time.Time
	// random reads the codes' randomness (tests make it collide).
	random func([]byte) (int, error)
}

// New returns the feature; perHour bounds the links an account makes an hour
// (DefaultPerHour when 0).
func New(q *db.Queries, perHour int) *Links {
	if perHour <= 0 {
		perHour = DefaultPerHour
	}
	return &Links{q: q, perHour: perHour, now: time.Now, random: rand.Read}
}

// Create makes a new link to trackID for creator and returns its code.
func (l *Links) Create(ctx context.Context, creator string, trackID uuid.UUID) (string, error) {
	now := l.now().UTC()
	made, err := l.q.CountLinksSince(ctx, db.CountLinksSinceParams{CreatorDid: creator, Since: now.Add(-time.Hour)})
	if err != nil {
		return "", fmt.Errorf("count links: %w", err)
	}
	if made >= int64(l.perHour) {
		return "", ErrTooMany
	}
	for range codeTries {
		code, err := l.code()
		if err != nil {
			return "", err
		}
		n, err := l.q.InsertLink(ctx, db.InsertLinkParams{Code: code, TrackID: trackID, CreatorDid: creator, CreatedAt: now})
		if err != nil {
			return "", fmt.Errorf("insert link: %w", err)
		}
		if n == 1 {
			return code, nil
		}
	}
	return "", ErrNoCode
}

// code is 8 URL-safe characters from 6 random bytes.
func (l *Links) code() (string, error) {
	b := make([]byte, 6)
	if _, err := l.random(b); err != nil {
		return "", fmt.Errorf("draw a code: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Kind is what a person did through a link.
type Kind string

// The kinds of use.
const (
	Visit Kind = "visit"
	Play  Kind = "play"
)

// Person is who used a link: an account's DID, or an anonymous visitor's day hash.
type Person struct {
	DID     string
	Visitor string
}

// Use counts a use of the link code on trackID. Anything that does not count — a code
// that is malformed, unknown or for another track, the link's creator, a person nobody
// knows, a repeat visit within VisitWindow — is ignored without an error, so a caller
// cannot learn which codes exist. Plays are counted as the catalog counted them (its
// own window already applied).
func (l *Links) Use(ctx context.Context, code string, trackID uuid.UUID, kind Kind, who Person) error {
	if !ValidCode(code) || (who.DID == "" && who.Visitor == "") {
		return nil
	}
	link, err := l.q.GetLink(ctx, code)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("load link: %w", err)
	}
	if link.TrackID != trackID || (who.DID != "" && who.DID == link.CreatorDid) {
		return nil
	}
	now := l.now().UTC()
	person, anonymous := who.DID, false
	if person == "" {
		person, anonymous = "visitor:"+who.Visitor, true
	}
	countedSince := now // a play counts every time the catalog counted it
	if kind == Visit {
		countedSince = now.Add(-VisitWindow)
	}
	n, err := l.q.AddUse(ctx, db.AddUseParams{
		Code: code, Kind: string(kind), Person: person, IsAnonymous: anonymous, UsedAt: now, CountedSince: countedSince,
	})
	if err != nil {
		return fmt.Errorf("count use: %w", err)
	}
	if n == 0 {
		return nil
	}
	if err := l.q.TouchLink(ctx, db.TouchLinkParams{Code: code, UsedAt: now}); err != nil {
		return fmt.Errorf("touch link: %w", err)
	}
	return nil
}

// Used is a link someone else used, with what came of it.
type Used struct {
	Code       string
	TrackID    uuid.UUID
	CreatedAt  time.Time
	LastUsedAt time.Time
	// Visitors and Listeners are people (DID and count), most recent first, at most
	// MaxPeople; VisitorCount and ListenerCount are how many there are.
	Visitors, Listeners         []Count
	VisitorCount, ListenerCount int64
	AnonymousVisits             int64
	AnonymousPlays              int64
}

// Count is a person's uses of a link.
type Count struct {
	DID   string
	Count int64
}

// ListUsed returns a page of creator's used links after the page token, most recently
// used first, and the next page's token ("" after the last).
func (l *Links) ListUsed(ctx context.Context, creator, token string, size int) ([]Used, string, error) {
	mark, err := cursor.DecodeMark(token)
	if err != nil {
		return nil, "", ErrInvalidInput.Withf("page_token is not one plyr gave")
	}
	rows, err := l.q.ListUsedLinks(ctx, db.ListUsedLinksParams{
		CreatorDid: creator, BeforeAt: mark.At, BeforeCode: mark.Name, PageSize: int32(size + 1),
	})
	if err != nil {
		return nil, "", fmt.Errorf("list links: %w", err)
	}
	next := ""
	if len(rows) > size {
		rows = rows[:size]
		last := rows[len(rows)-1]
		next = cursor.EncodeMark(cursor.Mark{At: last.LastUsedAt, Name: last.Code})
	}
	if len(rows) == 0 {
		return nil, "", nil
	}
	codes := make([]string, 0, len(rows))
	byCode := make(map[string]*Used, len(rows))
	out := make([]Used, len(rows))
	for i, r := range rows {
		out[i] = Used{Code: r.Code, TrackID: r.TrackID, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt}
		codes = append(codes, r.Code)
		byCode[r.Code] = &out[i]
	}
	totals, err := l.q.LinkTotals(ctx, codes)
	if err != nil {
		return nil, "", fmt.Errorf("link totals: %w", err)
	}
	for _, t := range totals {
		u := byCode[t.Code]
		if Kind(t.Kind) == Visit {
			u.VisitorCount, u.AnonymousVisits = t.People, t.AnonymousUses
		} else {
			u.ListenerCount, u.AnonymousPlays = t.People, t.AnonymousUses
		}
	}
	people, err := l.q.LinkPeople(ctx, db.LinkPeopleParams{Codes: codes, PerKind: MaxPeople})
	if err != nil {
		return nil, "", fmt.Errorf("link people: %w", err)
	}
	for _, p := range people {
		u := byCode[p.Code]
		c := Count{DID: p.Person, Count: p.Count}
		if Kind(p.Kind) == Visit {
			u.Visitors = append(u.Visitors, c)
		} else {
			u.Listeners = append(u.Listeners, c)
		}
	}
	return out, next, nil
}
