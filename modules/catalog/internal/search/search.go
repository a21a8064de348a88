// Package search is the catalog's search: one query over tracks, artists, albums, tags
// and playlists, each matched by word similarity (pg_trgm: some stretch of a title is like
// the query, typos and all), merged by relevance, with how many of each kind matched (up to
// the limit asked). Artists come from the accounts plyr knows (the
// identity module), with artists who published something ranked above listeners.
package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"connectrpc.com/connect"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/catalog/internal/db"
	"github.com/plyrfm/plyr/modules/catalog/internal/txn"
)

// Bounds of a query.
const (
	MinQueryRunes = 2
	MaxQueryRunes = 100
	// threshold is the word similarity a match needs. pg_trgm's default, 0.6, misses one
	// letter wrong in a two-word query ("midnite city" is 0.59 like "Midnight City").
	threshold = "0.5"
)

// ErrInvalidInput marks a query refused for its length.
var ErrInvalidInput = rpc.NewError(connect.CodeInvalidArgument, "invalid input")

// Kind is a kind of result.
type Kind int

// The kinds.
const (
	Track Kind = iota + 1
	Artist
	Album
	Tag
	Playlist
)

// AllKinds are searched when none are asked for.
var AllKinds = []Kind{Track, Artist, Album, Tag, Playlist}

// Result is one match: its kind, its id (a UUID, a DID, or a tag's name) and relevance.
type Result struct {
	Kind      Kind
	ID        string
	Relevance float32
	// TagTracks is a tag's track count.
	TagTracks int64
}

// Accounts finds accounts by handle or name (the identity module).
type Accounts interface {
	SearchAccounts(ctx context.Context, q string, limit int) ([]AccountMatch, error)
}

// AccountMatch is an account found, with its score (0 to 1).
type AccountMatch struct {
	DID   string
	Score float32
}

// Search is the feature.
type Search struct {
	db       txn.Beginner
	q        *db.Queries
	accounts Accounts
}

// New returns the feature.
func New(conn txn.Beginner, q *db.Queries, accounts Accounts) *Search {
	return &Search{db: conn, q: q, accounts: accounts}
}

// Answer is a search's results, best first, and the matches of each kind.
type Answer struct {
	Results []Result
	Counts  map[Kind]int64
	// Query is what was searched: the query with its words spelt as titles spell them.
	Query string
}

// minLikeness is how alike a known title word must be to replace a word no title has:
// "midnite" is 0.42 like "midnight", unrelated words under 0.2.
const minLikeness = 0.35

// rareWord is how many tracks a word may be on and still be rare: a query whose rarest
// word is on at most this many tracks reads every title holding its words from the word
// index and ranks them, rather than walking the trigram index for near matches.
const rareWord = 200

// spelling is a query spelt as titles spell it.
type spelling struct {
	query string
	// words are its words when every one is a title word (else nil), and rarest how many
	// tracks the rarest is on.
	words  []string
	rarest int64
}

// spell returns q with each word no track title has replaced by the title word most like
// it, when one is alike enough; the words' order is kept, their punctuation dropped.
func (s *Search) spell(ctx context.Context, q string) (spelling, error) {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	var lookup []string
	for _, w := range words {
		if n := utf8.RuneCountInString(w); n >= 2 && n <= 64 {
			lookup = append(lookup, w)
		}
	}
	if len(lookup) == 0 || len(lookup) != len(words) {
		return spelling{query: q}, nil // a word too short or too long to look up: as typed
	}
	rows, err := s.q.NearestTitleWords(ctx, lookup)
	if err != nil {
		return spelling{}, fmt.Errorf("spell %q: %w", q, err)
	}
	known := make(map[string]db.NearestTitleWordsRow, len(rows))
	for _, r := range rows {
		if r.Likeness >= minLikeness {
			known[r.Typed] = r
		}
	}
	sp := spelling{query: q, rarest: -1}
	allKnown, changed := true, false
	for i, w := range words {
		r, ok := known[w]
		if !ok {
			allKnown = false // a word no title has anything like: kept as typed
			continue
		}
		if r.Known != w {
			words[i], changed = r.Known, true
		}
		sp.words = append(sp.words, r.Known)
		if sp.rarest < 0 || r.Tracks < sp.rarest {
			sp.rarest = r.Tracks
		}
	}
	if !allKnown {
		sp.words = nil
	}
	if changed {
		sp.query = strings.Join(words, " ")
	}
	return sp, nil
}

// Clean checks a query's length and normalises it.
func Clean(q string) (string, error) {
	q = strings.TrimSpace(q)
	n := utf8.RuneCountInString(q)
	if n < MinQueryRunes || n > MaxQueryRunes {
		return "", ErrInvalidInput.Withf("a search is %d to %d characters", MinQueryRunes, MaxQueryRunes)
	}
	return strings.ToLower(q), nil
}

// Find runs the search for the kinds asked (all when none), returning at most limit
// results in all.
func (s *Search) Find(ctx context.Context, raw string, kinds []Kind, limit int) (Answer, error) {
	q, err := Clean(raw)
	if err != nil {
		return Answer{}, err
	}
	switch {
	case limit <= 0:
		limit = 20
	case limit > 50:
		limit = 50
	}
	if len(kinds) == 0 {
		kinds = AllKinds
	}
	ans := Answer{Counts: map[Kind]int64{}}
	// Artists are found by what was typed (handles are not title words); the rest by the
	// query spelt as titles spell it.
	typed := q
	sp, err := s.spell(ctx, q)
	if err != nil {
		return Answer{}, err
	}
	q, ans.Query = sp.query, sp.query
	// Each kind reads at most limit matches, best first: its count says how many it found,
	// up to limit. Counting further would cost every title with a common word.
	n := int32(limit)
	// The account search is the identity module's, asked before the transaction, so no
	// connection waits on it.
	var artists []Result
	if slices.Contains(kinds, Artist) {
		matches, err := s.accounts.SearchAccounts(ctx, typed, limit)
		if err != nil {
			return Answer{}, err
		}
		if artists, err = s.rankArtists(ctx, matches); err != nil {
			return Answer{}, err
		}
	}
	err = txn.Run(ctx, s.db, s.q, func(qt *db.Queries) error {
		if err := qt.SetWordSimilarityThreshold(ctx, threshold); err != nil {
			return fmt.Errorf("search threshold: %w", err)
		}
		for _, k := range kinds {
			found := artists
			if k != Artist {
				var err error
				if found, err = matching(ctx, qt, k, sp, n); err != nil {
					return err
				}
			}
			byRelevance(found)
			ans.Counts[k] = int64(len(found))
			ans.Results = append(ans.Results, found...)
		}
		return nil
	})
	if err != nil {
		return Answer{}, err
	}
	byRelevance(ans.Results)
	if len(ans.Results) > limit {
		ans.Results = ans.Results[:limit]
	}
	return ans, nil
}

// matching reads up to n matches of kind k (not artists), best first.
func matching(ctx context.Context, qt *db.Queries, k Kind, sp spelling, n int32) ([]Result, error) {
	q := sp.query
	var found []Result
	switch k {
	case Track:
		if sp.words != nil && sp.rarest <= rareWord {
			// Every title with all the words, ranked here (at most rareWord and a few: the
			// count is of tracks of every status).
			rows, err := qt.SearchTracksWithWords(ctx, db.SearchTracksWithWordsParams{Q: q, Words: sp.words, MaxRows: 2 * rareWord})
			if err != nil {
				return nil, fmt.Errorf("search tracks by word: %w", err)
			}
			for _, r := range rows {
				found = append(found, Result{Kind: Track, ID: r.ID.String(), Relevance: r.Relevance})
			}
			byRelevance(found)
			return found[:min(len(found), int(n))], nil
		}
		rows, err := qt.SearchTracks(ctx, db.SearchTracksParams{Q: q, MaxRows: n})
		if err != nil {
			return nil, fmt.Errorf("search tracks: %w", err)
		}
		for _, r := range rows {
			found = append(found, Result{Kind: Track, ID: r.ID.String(), Relevance: r.Relevance})
		}
	case Album:
		rows, err := qt.SearchAlbums(ctx, db.SearchAlbumsParams{Q: q, MaxRows: n})
		if err != nil {
			return nil, fmt.Errorf("search albums: %w", err)
		}
		for _, r := range rows {
			found = append(found, Result{Kind: Album, ID: r.ID.String(), Relevance: r.Relevance})
		}
	case Tag:
		rows, err := qt.SearchTags(ctx, db.SearchTagsParams{Q: q, MaxRows: n})
		if err != nil {
			return nil, fmt.Errorf("search tags: %w", err)
		}
		for _, r := range rows {
			found = append(found, Result{Kind: Tag, ID: r.Name, Relevance: r.Relevance, TagTracks: r.TrackCount})
		}
	case Playlist:
		rows, err := qt.SearchPlaylists(ctx, db.SearchPlaylistsParams{Q: q, MaxRows: n})
		if err != nil {
			return nil, fmt.Errorf("search playlists: %w", err)
		}
		for _, r := range rows {
			found = append(found, Result{Kind: Playlist, ID: r.ID.String(), Relevance: r.Relevance})
		}
	}
	return found, nil
}

// rankArtists orders matched accounts by score, artists who published something first
// among equals.
func (s *Search) rankArtists(ctx context.Context, matches []AccountMatch) ([]Result, error) {
	dids := make([]string, 0, len(matches))
	for _, m := range matches {
		dids = append(dids, m.DID)
	}
	publishing, err := s.q.ListArtistDIDs(ctx, dids)
	if err != nil {
		return nil, fmt.Errorf("artists among matches: %w", err)
	}
	isArtist := map[string]bool{}
	for _, d := range publishing {
		isArtist[d] = true
	}
	out := make([]Result, 0, len(matches))
	for _, m := range matches {
		rel := m.Score
		if !isArtist[m.DID] {
			rel *= 0.8 // a listener with the same name ranks below the artist
		}
		out = append(out, Result{Kind: Artist, ID: m.DID, Relevance: rel})
	}
	byRelevance(out)
	return out, nil
}

// byRelevance sorts results best first, keeping the order of equals.
func byRelevance(list []Result) {
	slices.SortStableFunc(list, func(a, b Result) int {
		switch {
		case a.Relevance > b.Relevance:
			return -1
		case a.Relevance < b.Relevance:
			return 1
		}
		return 0
	})
}

// Handles completes a handle from the accounts plyr knows, artists first.
func (s *Search) Handles(ctx context.Context, q string, limit int) ([]string, error) {
	q = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(q), "@"))
	if utf8.RuneCountInString(q) < 1 || utf8.RuneCountInString(q) > MaxQueryRunes {
		return nil, ErrInvalidInput.Withf("a handle search is 1 to %d characters", MaxQueryRunes)
	}
	switch {
	case limit <= 0:
		limit = 10
	case limit > 25:
		limit = 25
	}
	matches, err := s.accounts.SearchAccounts(ctx, q, 4*limit)
	if err != nil {
		return nil, err
	}
	ranked, err := s.rankArtists(ctx, matches)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, limit)
	for _, r := range ranked {
		if len(out) == limit {
			break
		}
		out = append(out, r.ID)
	}
	return out, nil
}
