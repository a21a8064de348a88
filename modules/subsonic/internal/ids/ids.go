// Package ids names plyr's things in the Subsonic API. Subsonic ids are opaque strings,
// and some methods take an id that may be any of several kinds (getMusicDirectory takes an
// artist or an album, getCoverArt anything with a picture), so each id says its kind:
//
//	tr-<uuid>  a track            al-<uuid>  an album
//	ar-<did>   an artist          si-<did>   an artist's Singles (tracks outside albums)
//	pl-<uuid>  a playlist
//
// They are stable: built from the ids plyr keeps for good.
package ids

import (
	"strings"

	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/google/uuid"
)

// Kind is what an id names.
type Kind string

// The kinds of id.
const (
	Track    Kind = "tr"
	Album    Kind = "al"
	Artist   Kind = "ar"
	Singles  Kind = "si"
	Playlist Kind = "pl"
)

// ID is a parsed id: UUID for tracks, albums and playlists, DID for artists and Singles.
type ID struct {
	Kind Kind
	UUID uuid.UUID
	DID  string
}

// String is the id as clients see it.
func (i ID) String() string {
	switch i.Kind {
	case Artist, Singles:
		return string(i.Kind) + "-" + i.DID
	default:
		return string(i.Kind) + "-" + i.UUID.String()
	}
}

// Of builds the id of a kind from plyr's id of the thing (a UUID or a DID string).
func Of(kind Kind, id string) string { return string(kind) + "-" + id }

// Parse reads an id; ok is false for anything that is not one.
func Parse(s string) (ID, bool) {
	prefix, rest, found := strings.Cut(s, "-")
	if !found {
		return ID{}, false
	}
	switch k := Kind(prefix); k {
	case Track, Album, Playlist:
		u, err := uuid.Parse(rest)
		if err != nil {
			return ID{}, false
		}
		return ID{Kind: k, UUID: u}, true
	case Artist, Singles:
		if _, err := syntax.ParseDID(rest); err != nil {
			return ID{}, false
		}
		return ID{Kind: k, DID: rest}, true
	}
	return ID{}, false
}

// ParseKind reads an id that must be of kind.
func ParseKind(s string, kind Kind) (ID, bool) {
	id, ok := Parse(s)
	return id, ok && id.Kind == kind
}
