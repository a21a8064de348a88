// Package listrecord builds fm.plyr.list records whose order plyr keeps: playlists and
// the "Liked" list (albums keep the order found on the PDS; see albums). Every write
// carries name, listType and createdAt (plyr.fm's reorder dropped them), and moves
// updatedAt only when name or items changed.
package listrecord

import (
	"maps"
	"time"

	"github.com/plyrfm/plyr/internal/platform/atproto"
	"github.com/plyrfm/plyr/modules/catalog/internal/subject"
)

// MaxItems is the lexicon's bound on a list's items.
const MaxItems = 500

// The list types plyr writes here.
const (
	TypePlaylist = "playlist"
	TypeLiked    = "liked"
)

// Build returns the list record over current (fields plyr does not manage kept): name,
// listType, items in the order given (at most MaxItems), createdAt as current has it else
// createdAt, and updatedAt = changedAt when something plyr manages changed.
func Build(current map[string]any, name, listType string, items []subject.Ref, createdAt time.Time, changedAt time.Time) map[string]any {
	out := maps.Clone(current)
	if out == nil {
		out = map[string]any{}
	}
	if len(items) > MaxItems {
		items = items[:MaxItems]
	}
	list := make([]any, 0, len(items))
	for _, r := range items {
		list = append(list, map[string]any{"subject": r.Record()})
	}
	changed := current == nil || current["name"] != name || current["listType"] != listType || !sameItems(current["items"], items)
	out["name"] = name
	out["listType"] = listType
	out["items"] = list
	if s, ok := out["createdAt"].(string); !ok || !atproto.ValidDatetime(s) {
		out["createdAt"] = atproto.Datetime(createdAt)
	}
	if changed {
		out["updatedAt"] = atproto.Datetime(changedAt)
	}
	return out
}

// sameItems reports whether a record's items are refs, in order.
func sameItems(items any, refs []subject.Ref) bool {
	list, _ := items.([]any)
	if len(list) != len(refs) {
		return false
	}
	for i, it := range list {
		item, _ := it.(map[string]any)
		subj, _ := item["subject"].(map[string]any)
		if subj["uri"] != refs[i].URI || subj["cid"] != refs[i].CID {
			return false
		}
	}
	return true
}
