package media

import (
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/plyrfm/plyr/internal/platform/rpc"
)

// handleAudio serves GET and HEAD /audio/{fileId}: GET redirects to a presigned storage URL
// (see the package documentation for why), HEAD answers from the file's row.
func (m *Module) handleAudio(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := uuid.Parse(r.PathValue("fileId"))
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, ErrFileNotFound)
		return
	}
	file, err := m.files.Get(ctx, id)
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}

	// Files never change once stored, so the id is a strong validator.
	w.Header().Set("ETag", `"`+file.ID.String()+`"`)
	if r.Method == http.MethodHead {
		w.Header().Set("Accept-Ranges", "bytes")
		w.Header().Set("Content-Type", file.ContentType)
		w.Header().Set("Content-Length", strconv.FormatInt(file.SizeBytes, 10))
		w.Header().Set("Cache-Control", "public, max-age=86400, immutable")
		w.WriteHeader(http.StatusOK)
		return
	}

	url, err := m.files.URL(ctx, file)
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	// A browser may reuse the redirect while the URL it points to is still valid, so
	// seeking does not come back to plyr for every range.
	w.Header().Set("Cache-Control", "private, max-age="+strconv.Itoa(int(m.files.URLTTL().Seconds()/2)))
	http.Redirect(w, r, url, http.StatusFound)
}
