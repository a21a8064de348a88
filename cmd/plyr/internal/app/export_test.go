package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/audiotest"
	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/modules/media"
)

// TestExport: an artist's export is a zip of all their tracks, the lossless original where
// one is kept, built with progress into the private bucket and downloadable by its owner
// alone, through a short-lived URL.
func TestExport(t *testing.T) {
	s := newStack(t, 64<<20)
	s.setFlag(t, aliceDID, media.FlagLossless)
	ctx := rpctest.WithToken(context.Background(), s.token)

	_, err := s.media.StartExport(ctx, &mediav1.StartExportRequest{})
	require.Error(t, err, "nothing to export yet")

	mp3, mp3b, flac := audiotest.Make(t, "mp3", 2), audiotest.Make(t, "mp3", 2.5), audiotest.Make(t, "flac", 2)
	for _, f := range []struct {
		name string
		data []byte
	}{{"a.mp3", mp3}, {"b.flac", flac}, {"c.mp3", mp3b}} {
		code, accepted := s.postUpload(t, s.token, "Same / title", f.name, f.data)
		require.Equal(t, http.StatusAccepted, code)
		require.Equal(t, mediav1.UploadStatus_UPLOAD_STATUS_READY, lastMessage(t, s, accepted["uploadId"]).Status)
	}

	started, err := s.media.StartExport(ctx, &mediav1.StartExportRequest{})
	require.NoError(t, err)
	require.Equal(t, int32(3), started.TrackCount)
	again, err := s.media.StartExport(ctx, &mediav1.StartExportRequest{})
	require.NoError(t, err)
	_ = again // the same export while it runs, or a new one once it is done

	watch, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	stream, err := s.media.WatchExport(watch, &mediav1.WatchExportRequest{ExportId: started.ExportId})
	require.NoError(t, err)
	var last *mediav1.Export
	for stream.Receive() {
		last = stream.Msg()
	}
	require.NoError(t, stream.Err())
	require.Equal(t, mediav1.ExportStatus_EXPORT_STATUS_READY, last.Status, last.Error)
	require.Equal(t, int32(3), last.Processed)
	require.NotEmpty(t, last.DownloadUrl)

	// A client that reloaded finds it again; nobody else does.
	listed, err := s.media.ListExports(ctx, &mediav1.ListExportsRequest{})
	require.NoError(t, err)
	require.NotEmpty(t, listed.Exports)
	require.Equal(t, started.ExportId, listed.Exports[len(listed.Exports)-1].ExportId, "the first export is listed, the newest first")
	require.Equal(t, mediav1.ExportStatus_EXPORT_STATUS_READY, listed.Exports[len(listed.Exports)-1].Status)
	theirs, err := s.media.ListExports(rpctest.WithToken(context.Background(), s.account(t, "did:plc:eve", "eve.test")), &mediav1.ListExportsRequest{})
	require.NoError(t, err)
	require.Empty(t, theirs.Exports)

	// Only the owner downloads it; the zip is in the private bucket.
	for token, want := range map[string]int{"": http.StatusUnauthorized, s.account(t, "did:plc:eve", "eve.test"): http.StatusNotFound} {
		req, _ := http.NewRequest(http.MethodGet, last.DownloadUrl, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := noRedirects.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, want, res.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, last.DownloadUrl, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := noRedirects.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusFound, res.StatusCode)
	require.Contains(t, res.Header.Get("Location"), "/"+s.private.Bucket()+"/exports/")
	require.Equal(t, "private, no-store", res.Header.Get("Cache-Control"))

	res, err = http.Get(res.Header.Get("Location"))
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, res.Header.Get("Content-Disposition"), "attachment")
	require.Contains(t, res.Header.Get("Content-Disposition"), "plyr-tracks-")
	require.Equal(t, int64(len(body)), last.SizeBytes)

	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	require.NoError(t, err)
	got := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		r, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		got[f.Name] = b
		names = append(names, f.Name)
	}
	sort.Strings(names)
	require.Equal(t, []string{"Same _ title (2).mp3", "Same _ title.flac", "Same _ title.mp3"}, names)
	require.Equal(t, mp3, got["Same _ title.mp3"])
	require.Equal(t, mp3b, got["Same _ title (2).mp3"])
	require.Equal(t, flac, got["Same _ title.flac"], "the lossless original, byte for byte")
	keys, err := s.store.List(context.Background(), "exports/")
	require.NoError(t, err)
	require.Empty(t, keys, "nothing of the export in the public bucket")

	// Expired, it is gone.
	_, err = s.infra.DB.Exec(context.Background(), `UPDATE media.exports SET expires_at = now() - interval '1 second'`)
	require.NoError(t, err)
	req, _ = http.NewRequest(http.MethodGet, last.DownloadUrl, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err = noRedirects.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)

	// Housekeeping deletes it: the zip, then the row.
	n, err := s.app.Media().ForgetExpiredExports(context.Background(), time.Now(), 10)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	keys, err = s.private.List(context.Background(), "exports/")
	require.NoError(t, err)
	require.Empty(t, keys)
}
