package media

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/plyrfm/plyr/internal/platform/rpc"
	"github.com/plyrfm/plyr/modules/media/internal/files"
)

// handleAudio serves GET and HEAD /audio/{fileId}: GET redirects to a presigned storage URL
// (see the package documentation for why), HEAD answers from the file's row.
//
// A gated file (a track for its artist's supporters) is served to its owner and their
// supporters only: 401 without a session, 402 with X-Support-Required: true for anyone
// else, on GET and HEAD alike, so a client can ask with HEAD before it plays and show
// "supporters only" instead of failing to play. Its redirect is to the private bucket, for
// a third of the usual time, and never cached.
//
// A taken-down file (a moderation decision) answers 451 to anyone but its owner.
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
	if file.TakenDown || file.Gated {
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Add("Vary", "Cookie, Authorization")
	}
	switch err := m.mayHear(ctx, file); {
	case errors.Is(err, ErrTakenDown):
		rpc.WriteErrorStatus(w, http.StatusUnavailableForLegalReasons, rpc.ConnectError(ctx, m.logger, ErrTakenDown))
		return
	case errors.Is(err, ErrSupportersOnly):
		w.Header().Set("X-Support-Required", "true")
		rpc.WriteErrorStatus(w, http.StatusPaymentRequired, rpc.ConnectError(ctx, m.logger, ErrSupportersOnly))
		return
	case err != nil:
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}

	// Files never change once stored, so the id is a strong validator.
	w.Header().Set("ETag", `"`+file.ID.String()+`"`)
	if r.Method == http.MethodHead {
		w.Header().Set("Accept-Ranges", "bytes")
		w.Header().Set("Content-Type", file.ContentType)
		w.Header().Set("Content-Length", strconv.FormatInt(file.SizeBytes, 10))
		if !file.Gated && !file.TakenDown {
			w.Header().Set("Cache-Control", "public, max-age=86400, immutable")
		}
		w.WriteHeader(http.StatusOK)
		return
	}

	url, err := m.files.URL(ctx, file)
	if err != nil {
		rpc.WriteHTTPError(w, r, m.logger, err)
		return
	}
	if !file.Gated && !file.TakenDown {
		// A browser may reuse the redirect while the URL it points to is still valid, so
		// seeking does not come back to plyr for every range.
		w.Header().Set("Cache-Control", "private, max-age="+strconv.Itoa(int(m.files.URLTTL(file).Seconds()/2)))
	}
	http.Redirect(w, r, url, http.StatusFound)
}

// mayHear decides whether the caller in ctx may hear a file. A file a moderation decision
// took down is its owner's alone (ErrTakenDown for anyone else). A gated file is its
// owner's and their supporters' as atprotofans says: ErrSignInToHear without a caller,
// ErrSupportersOnly for anyone else. An atprotofans that does not answer is a no (the file
// stays closed), logged, never cached.
func (m *Module) mayHear(ctx context.Context, file files.File) error {
	if !file.TakenDown && !file.Gated {
		return nil // open to anyone: no credential is looked up
	}
	caller := rpc.CallerFrom(ctx)
	owner := caller != nil && caller.DID == file.OwnerDID
	switch {
	case owner:
		return nil
	case file.TakenDown:
		return ErrTakenDown
	case caller == nil:
		return ErrSignInToHear
	}
	ok, err := m.supporters.Supports(ctx, caller.DID, file.OwnerDID)
	if err != nil {
		m.logger.WarnContext(ctx, "check supporter", "artist", file.OwnerDID, "error", err.Error())
	}
	if !ok {
		return ErrSupportersOnly
	}
	return nil
}
