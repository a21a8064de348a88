// Package scope builds the OAuth scopes plyr requests and reads the ones a PDS granted.
//
// Granted scopes are compared by parsing, never as strings: the PDS expands a permission
// set (include:fm.plyr.authFullApp) into repo permissions
// (repo?collection=fm.plyr.track&collection=…), drops default actions, and may reorder.
package scope

import (
	"slices"
	"strings"

	"github.com/bluesky-social/indigo/atproto/auth"
)

// Teal collections a scrobbling user must grant.
var (
	TealPlay   = "fm.teal.alpha.feed.play"
	TealStatus = "fm.teal.alpha.actor.status"
)

// Requested is the scope list plyr asks for: the atproto base, the app's permission set,
// blobs of any type (blob permissions cannot live in a permission set), and the teal
// collections when the user scrobbles.
func Requested(namespace string, teal bool) []string {
	scopes := []string{"atproto", "include:" + namespace + ".authFullApp", "blob:*/*"}
	if teal {
		scopes = append(scopes, "repo:"+TealPlay, "repo:"+TealStatus)
	}
	return scopes
}

// Grant is a parsed granted scope.
type Grant struct {
	perms []auth.Permission
}

// Parse reads a space-separated granted scope. Unknown or malformed parts are ignored, as
// the spec says; a scope without "atproto" grants nothing.
func Parse(granted string) Grant {
	perms, err := auth.ParseOAuthScope(granted)
	if err != nil {
		return Grant{}
	}
	return Grant{perms: perms}
}

// CanWrite reports whether the grant allows action (create, update or delete) on records
// of collection.
func (g Grant) CanWrite(collection, action string) bool {
	for _, p := range g.perms {
		if p.Resource != "repo" {
			continue
		}
		if !slices.Contains(p.Collection, "*") && !slices.Contains(p.Collection, collection) {
			continue
		}
		// No action listed means every action.
		if len(p.Action) == 0 || slices.Contains(p.Action, action) {
			return true
		}
	}
	return false
}

// CanWriteAll reports whether the grant allows every write action on every collection.
func (g Grant) CanWriteAll(collections ...string) bool {
	for _, c := range collections {
		for _, a := range []string{"create", "update", "delete"} {
			if !g.CanWrite(c, a) {
				return false
			}
		}
	}
	return true
}

// CanUploadBlob reports whether the grant allows uploading a blob of mimeType.
func (g Grant) CanUploadBlob(mimeType string) bool {
	for _, p := range g.perms {
		if p.Resource != "blob" {
			continue
		}
		for _, accept := range p.Accept {
			if accept == "*/*" || accept == mimeType {
				return true
			}
			if kind, ok := strings.CutSuffix(accept, "/*"); ok && strings.HasPrefix(mimeType, kind+"/") {
				return true
			}
		}
	}
	return false
}

// Teal reports whether the grant allows scrobbling to teal.fm.
func (g Grant) Teal() bool { return g.CanWriteAll(TealPlay, TealStatus) }
