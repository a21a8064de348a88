package catalog

import (
	"github.com/plyrfm/plyr/modules/catalog/internal/albums"
	"github.com/plyrfm/plyr/modules/catalog/internal/artists"
	"github.com/plyrfm/plyr/modules/catalog/internal/tracks"
)

// Errors of the module, each with the Connect code and the message a client sees
// (rpc.ConnectError). Whatever wraps them stays in the logs.
var (
	// ErrNotFound marks a track that does not exist or is not the caller's to see.
	ErrNotFound = tracks.ErrNotFound
	// ErrInvalidInput marks a request refused for what it says; cases say what.
	ErrInvalidInput = tracks.ErrInvalidInput
	// ErrNotOwner marks a change to a track that is not the caller's.
	ErrNotOwner = tracks.ErrNotOwner
	// ErrNotReady marks a change that needs a track whose upload has finished.
	ErrNotReady = tracks.ErrNotReady
	// ErrArtistNotFound marks an artist plyr does not know.
	ErrArtistNotFound = artists.ErrNotFound
	// ErrInvalidProfile marks a profile change refused for what it says.
	ErrInvalidProfile = artists.ErrInvalidInput
	// ErrAlbumNotFound marks an album that does not exist.
	ErrAlbumNotFound = albums.ErrNotFound
	// ErrNotAlbumOwner marks a change to another artist's album.
	ErrNotAlbumOwner = albums.ErrNotOwner
	// ErrAlbumSlugTaken marks a title whose slug another of the artist's albums has.
	ErrAlbumSlugTaken = albums.ErrSlugTaken
)
