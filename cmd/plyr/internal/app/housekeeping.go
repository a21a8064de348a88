package app

import (
	"context"
	"errors"
	"time"

	housekeepingact "github.com/plyrfm/plyr/activities/housekeeping"
	"github.com/plyrfm/plyr/modules/media"
	"github.com/plyrfm/plyr/workflows/housekeeping"
	"github.com/plyrfm/plyr/workflows/notice"
	"github.com/plyrfm/plyr/workflows/takedown"
)

// startupHousekeepingTimeout bounds what workers do for housekeeping as they start: it
// runs beside them and never holds them up, and what it does not finish the schedule does.
const startupHousekeepingTimeout = time.Minute

// resumeTakedowns applies the takedown state of the tracks whose catalog state differs
// from legal's: a decision is committed before its workflow starts, and a start lost to
// a crash in between is made here. Returns how many were started.
func (a *App) resumeTakedowns(ctx context.Context, limit int) (int, error) {
	inForce, err := a.legal.TakedownsInForce(ctx, 10_000)
	if err != nil {
		return 0, err
	}
	ids, err := a.catalog.TakedownMismatches(ctx, inForce, limit)
	if err != nil {
		return 0, err
	}
	starter := takedown.NewStarter(a.infra.Temporal)
	for i, id := range ids {
		if err := starter.ApplyTakedown(ctx, id); err != nil {
			return i, err
		}
	}
	if len(ids) > 0 {
		a.logger.InfoContext(ctx, "takedowns resumed", "tracks", len(ids))
	}
	return len(ids), nil
}

// resumeNotices starts the workflows of DMs still pending since before stalledSince (the
// record stall age, an hour by default: longer than a DM's retries last).
func (a *App) resumeNotices(ctx context.Context, stalledSince time.Time, limit int) (int, error) {
	keys, err := a.legal.StalledNotices(ctx, stalledSince, limit)
	if err != nil {
		return 0, err
	}
	starter := notice.NewStarter(a.infra.Temporal)
	for i, key := range keys {
		if err := starter.SendNotice(ctx, key); err != nil {
			return i, err
		}
	}
	if len(keys) > 0 {
		a.logger.InfoContext(ctx, "stalled DMs resumed", "notices", len(keys))
	}
	return len(keys), nil
}

// housekeepingActivities are the housekeeping steps, on the modules and storage.
func (a *App) housekeepingActivities() *housekeepingact.Activities {
	return &housekeepingact.Activities{
		Identity: func(ctx context.Context, now time.Time, limit int) (housekeepingact.IdentityCounts, error) {
			// One kind failing does not stop the other; both errors are returned.
			counts, sweepErr := a.identity.SweepExpired(ctx, now, limit)
			out := housekeepingact.IdentityCounts{
				Sessions: counts.Sessions, UnclaimedTokens: counts.UnclaimedTokens, TokenClaims: counts.TokenClaims,
				AuthRequests: counts.AuthRequests, Grants: counts.Grants, RevokeFailures: counts.RevokeFailures,
			}
			// Handle lookups are outbound and slower than the deletes: a smaller batch.
			verified, verifyErr := a.identity.ReverifyHandles(ctx, now, min(limit, 20))
			out.HandlesVerified = verified
			return out, errors.Join(sweepErr, verifyErr)
		},
		// The catalog's step: stalled records (the catalog's and sharing's scrobbles)
		// resumed, counted plays whose hand-off to sharing was lost handed off again, and
		// what the listener side no longer needs (play guards past their window, old
		// visitor salts, expired now-playing) forgotten in the same pass; and the media
		// module's expired exports deleted.
		Records: func(ctx context.Context, stalledSince time.Time, limit int) (int, error) {
			n, err := a.catalog.ResumeStalledRecords(ctx, stalledSince, limit)
			scrobbles, scrobblesErr := a.sharing.ResumeStalledRecords(ctx, stalledSince, limit)
			n += scrobbles
			_, handOffErr := a.catalog.ResumePlayHandOffs(ctx, stalledSince, limit)
			_, forgetErr := a.catalog.ForgetListening(ctx)
			_, exportsErr := a.media.ForgetExpiredExports(ctx, time.Now(), limit)
			_, takedownsErr := a.resumeTakedowns(ctx, limit)
			_, noticesErr := a.resumeNotices(ctx, stalledSince, limit)
			return n, errors.Join(err, scrobblesErr, handOffErr, forgetErr, exportsErr, takedownsErr, noticesErr)
		},
		Uploads: a.media,
		Storage: a.infra.Storage,
		Config: housekeepingact.Config{
			TempDir: a.cfg.Media.TempDir, StagingPrefix: media.StagingPrefix,
			// An incomplete multipart upload may be a slow upload still arriving.
			MultipartMaxAge: max(housekeepingact.DefaultMultipartMaxAge, a.longestUpload()+time.Hour),
		},
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
	// A startup grace of 0 says this process alone streams uploads to this storage (plyr
	// dev): whatever is older than the process is a leftover. Otherwise another process
	// may be receiving a slow upload, which may legally take longestUpload.
	grace := a.cfg.Housekeeping.StartupGrace
	if grace > 0 {
		grace = max(grace, a.longestUpload()+time.Hour)
	}
	cutoff := now.Add(-grace)
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

// longestUpload is how long an upload body may legally take to arrive: the pacing's
// grace, then the largest body at the slowest average rate the pacing accepts (about 27 h
// with the defaults). Without a minimum rate, a week.
func (a *App) longestUpload() time.Duration {
	m := a.cfg.Media
	if m.UploadMinKiBps <= 0 {
		return 7 * 24 * time.Hour
	}
	return m.UploadRateGrace + time.Duration(m.MaxUploadBytes/(int64(m.UploadMinKiBps)<<10))*time.Second
}
