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

// DefaultTealNamespaces are the teal.fm namespaces plyr scrobbles to, the preferred one
// first: the stable fm.teal, and the older fm.teal.alpha that earlier grants name.
var DefaultTealNamespaces = []string{"fm.teal", "fm.teal.alpha"}

// TealCollections are the two collections a scrobble writes in a teal namespace: the play
// record and the listener's status (what they are playing).
func TealCollections(namespace string) (play, status string) {
	return namespace + ".feed.play", namespace + ".actor.status"
}

// Requested is the scope list plyr asks for: the atproto base, the app's permission set,
// blobs of any type (blob permissions cannot live in a permission set), and, when teal is
// a namespace (not ""), the teal collections of that namespace for scrobbling.
func Requested(namespace, teal string) []string {
	scopes := []string{"atproto", "include:" + namespace + ".authFullApp", "blob:*/*"}
	if teal != "" {
		play, status := TealCollections(teal)
		scopes = append(scopes, "repo:"+play, "repo:"+status)
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

// TealNamespace is the first of namespaces whose teal collections the grant lets plyr
// write, or "" when it allows none: a listener who granted the older namespace keeps
// scrobbling there.
func (g Grant) TealNamespace(namespaces []string) string {
	for _, ns := range namespaces {
		if g.CanWriteAll(TealCollections(ns)) {
			return ns
		}
	}
	return ""
}
