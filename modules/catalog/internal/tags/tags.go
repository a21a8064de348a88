// Package tags is the catalog's tags feature: the words artists tag their tracks with,
// shared by all artists, lowercase; listed with how many ready tracks carry each, most
// used first, optionally by a case-insensitive prefix. (Tracks by tag are the tracks
// feature's: a listing with Tag set.)
package tags

import (
	"context"
	"fmt"
	"strings"

	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
)

// ErrInvalidInput marks a listing refused for what it asks.
var ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")

// Limits of List.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	// MaxPrefixRunes bounds a prefix (a tag is at most 50 characters).
	MaxPrefixRunes = 50
)

// Tag is a tag with how many ready tracks carry it.
type Tag struct {
	Name   string
	Tracks int64
}

// Tags is the feature.
type Tags struct{ q *db.Queries }

// New returns the feature.
func New(q *db.Queries) *Tags { return &Tags{q: q} }

// List returns at most limit tags starting with prefix (any case), most used first.
func (t *Tags) List(ctx context.Context, prefix string, limit int) ([]Tag, error) {
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		return nil, ErrInvalidInput.Withf("limit must be between 1 and %d", MaxLimit)
	}
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if len([]rune(prefix)) > MaxPrefixRunes {
		return nil, ErrInvalidInput.Withf("prefix is longer than %d characters", MaxPrefixRunes)
	}
	rows, err := t.q.ListTags(ctx, db.ListTagsParams{Prefix: escapeLike(prefix), MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	out := make([]Tag, 0, len(rows))
	for _, r := range rows {
		out = append(out, Tag{Name: r.Name, Tracks: r.TrackCount})
	}
	return out, nil
}

// escapeLike makes s match itself literally at the start of a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
