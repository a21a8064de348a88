package legal

import (
	"encoding/json"
	"net/http"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// sensitiveImages is the body of GET /moderation/sensitive-images.
type sensitiveImages struct {
	// ImageIDs are the images an admin marked sensitive; URLs the addresses of their
	// variants, for clients that match by URL.
	ImageIDs []string `json:"imageIds"`
	URLs     []string `json:"urls"`
}

// handleSensitiveImages answers GET /moderation/sensitive-images: public, and cacheable
// for a minute by browsers and five by shared caches, as plyr.fm's was.
func (m *Module) handleSensitiveImages(w http.ResponseWriter, r *http.Request) {
	ids, err := m.q.ListSensitiveImages(r.Context())
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	out := sensitiveImages{ImageIDs: make([]string, 0, len(ids)), URLs: make([]string, 0, 3*len(ids))}
	for _, id := range ids {
		out.ImageIDs = append(out.ImageIDs, id.String())
		for _, variant := range []string{"512.webp", "96.webp", "original"} {
			out.URLs = append(out.URLs, m.cfg.PublicURL+"/images/"+id.String()+"/"+variant)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=60, s-maxage=300")
	_ = json.NewEncoder(w).Encode(out)
}
