package app

import (
	"context"
	"time"

	housekeepingact "github.com/plyrfm/plyr/activities/housekeeping"
	"github.com/plyrfm/plyr/workflows/housekeeping"
)

// startupHousekeepingTimeout bounds what workers do for housekeeping as they start: it
// runs beside them and never holds them up, and what it does not finish the schedule does.
const startupHousekeepingTimeout = time.Minute

// housekeepingActivities are the housekeeping steps, on the modules and storage.
func (a *App) housekeepingActivities() *housekeepingact.Activities {
	return &housekeepingact.Activities{
		Identity: func(ctx context.Context, now time.Time, limit int) (housekeepingact.IdentityCounts, error) {
			counts, err := a.identity.SweepExpired(ctx, now, limit)
			if err != nil {
				return housekeepingact.IdentityCounts{}, err
			}
			out := housekeepingact.IdentityCounts{
				Sessions: counts.Sessions, UnclaimedTokens: counts.UnclaimedTokens, TokenClaims: counts.TokenClaims,
				AuthRequests: counts.AuthRequests, Grants: counts.Grants, RevokeFailures: counts.RevokeFailures,
			}
			// Handle lookups are outbound and slower than the deletes: a smaller batch.
			out.HandlesVerified, err = a.identity.ReverifyHandles(ctx, now, min(limit, 20))
			return out, err
		},
		Uploads: a.media,
		Storage: a.infra.Storage,
		Config:  housekeepingact.Config{TempDir: a.cfg.Media.TempDir},
	}
}

// housekeepAtStartup creates (or updates) the housekeeping schedule, then removes what a
// process killed mid-upload left in storage: incomplete multipart uploads and staging
// objects older than the startup grace and from before this process started. (RunWorkers
// sweeps the inspection temp files itself.) Failures are logged, not returned: the
// schedule sweeps again.
func (a *App) housekeepAtStartup(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, startupHousekeepingTimeout)
	defer cancel()
	if err := housekeeping.EnsureSchedule(ctx, a.infra.Temporal, a.cfg.Housekeeping.Interval); err != nil {
		a.logger.Error("housekeeping schedule", "error", err.Error())
	}
	now := time.Now()
	cutoff := now.Add(-a.cfg.Housekeeping.StartupGrace)
	if a.started.Before(cutoff) {
		cutoff = a.started
	}
	counts, err := housekeepingact.SweepAtStartup(ctx, a.housekeepingActivities(), now, cutoff)
	if err != nil {
		a.logger.Error("startup cleanup", "error", err.Error())
	}
	if counts != (housekeepingact.StartupCounts{}) {
		a.logger.Info("startup cleanup: removed what a stopped process left in storage",
			"multipart_uploads", counts.Multipart, "staging_objects", counts.Staging)
	}
}
