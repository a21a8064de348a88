package uploads

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/plyrfm/plyr/modules/media/internal/db"
)

// StagingPrefix begins the storage key of every upload body waiting for its workflow.
const StagingPrefix = "staging/"

// StagingKey is where the body of upload id waits for validation.
func StagingKey(id uuid.UUID) string { return StagingPrefix + id.String() }

// StagingInUse returns those of keys (staging object keys) that an upload still needs:
// the upload is processing and was accepted at or after since, so its workflow may still
// read the object. Housekeeping deletes old staging objects that are not in use. A key
// that names no upload (its body was staged but never accepted) is not in use.
func (u *Uploads) StagingInUse(ctx context.Context, keys []string, since time.Time) (map[string]bool, error) {
	// A staging key is StagingPrefix + the upload's id (StagingKey), so uploads are found
	// by their primary key.
	ids := make([]uuid.UUID, 0, len(keys))
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, StagingPrefix)
		if !ok {
			continue
		}
		if id, err := uuid.Parse(rest); err == nil {
			ids = append(ids, id)
		}
	}
	inUse := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return inUse, nil
	}
	rows, err := u.q.ListStagingInUse(ctx, db.ListStagingInUseParams{Ids: ids, AcceptedSince: since})
	if err != nil {
		return nil, fmt.Errorf("find uploads in progress: %w", err)
	}
	for _, k := range rows {
		inUse[k] = true
	}
	return inUse, nil
}
