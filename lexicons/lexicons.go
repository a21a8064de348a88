// Package lexicons holds the ATProto schemas of the records plyr writes: fm.plyr.* (its own,
// including the authFullApp permission set users grant) and teal.fm's play records.
// They are embedded so the binary can validate records before sending them, and so the
// test PDS can publish the permission set.
package lexicons

import "embed"

// FS holds every lexicon file, by NSID path: fm.plyr/track.json, fm.teal.alpha/feed.play.json…
//
//go:embed fm.plyr/*.json fm.teal/*.json fm.teal.alpha/*.json
var FS embed.FS
