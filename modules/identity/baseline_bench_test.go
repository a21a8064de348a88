package identity_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/plyrfm/plyr/internal/devstack/testenv"
	identityv1 "github.com/plyrfm/plyr/internal/gen/plyr/identity/v1"
	"github.com/plyrfm/plyr/internal/gen/plyr/identity/v1/identityv1connect"
	"github.com/plyrfm/plyr/internal/platform/logging"
	"github.com/plyrfm/plyr/internal/platform/metrics"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
	"github.com/plyrfm/plyr/internal/platform/sealed"
	"github.com/plyrfm/plyr/modules/identity"
)

// BenchmarkGetMe_VsBaseline runs GetMe next to a baseline in the same run, on the same
// pool and the same 50 clients: a bare Connect handler (no authentication, no module)
// that does one indexed single-row query. The ratio of their throughputs says how much
// of the floor GetMe gets; the issue aims for at least 0.7.
func BenchmarkGetMe_VsBaseline(b *testing.B) {
	pool := testenv.NewDatabase(b)
	keys, err := sealed.ParseKeyring(sealed.NewKeySpec("test"))
	require.NoError(b, err)
	m, err := identity.New(identity.Deps{
		DB: pool, Logger: logging.Discard(), Metrics: metrics.New(), Keys: keys, HTTPClient: http.DefaultClient,
		Config: identity.Config{PublicURL: "http://127.0.0.1:9", SessionTTL: time.Hour},
	})
	require.NoError(b, err)
	server := rpctest.NewServer(b, m, m)
	f := localFixture{m: m, client: identityv1connect.NewIdentityServiceClient(server.Client(), server.URL)}
	sessions := benchSessions(b, f)

	// The baseline: one primary-key lookup of an account, answered in the same message.
	const procedure = "/plyr.bench.v1.Baseline/GetAccount"
	mux := http.NewServeMux()
	mux.Handle(procedure, connect.NewUnaryHandler(procedure,
		func(ctx context.Context, req *connect.Request[identityv1.SwitchAccountRequest]) (*connect.Response[identityv1.GetMeResponse], error) {
			var did, handle string
			err := pool.QueryRow(ctx, "SELECT did, handle FROM identity.accounts WHERE did = $1", req.Msg.GetDid()).Scan(&did, &handle)
			if err != nil {
				return nil, err
			}
			return connect.NewResponse(&identityv1.GetMeResponse{Account: &identityv1.Account{Did: did, Handle: handle}}), nil
		}))
	baselineServer := httptest.NewServer(mux)
	b.Cleanup(baselineServer.Close)
	baseline := connect.NewClient[identityv1.SwitchAccountRequest, identityv1.GetMeResponse](baselineServer.Client(), baselineServer.URL+procedure)
	dids := make([]string, len(sessions))
	for i := range dids {
		me, err := f.client.GetMe(sessions[i], &identityv1.GetMeRequest{})
		require.NoError(b, err)
		dids[i] = me.Account.Did
	}

	b.ResetTimer()
	for range b.N {
		floor := runLoad(b, "baseline (one indexed row)", sessions, func(ctx context.Context, i int) error {
			_, err := baseline.CallUnary(ctx, connect.NewRequest(&identityv1.SwitchAccountRequest{Did: dids[i/2]}))
			return err
		})
		getMe := runLoad(b, "GetMe", sessions, func(ctx context.Context, _ int) error {
			_, err := f.client.GetMe(ctx, &identityv1.GetMeRequest{})
			return err
		})
		b.ReportMetric(getMe/floor, "getme/baseline")
		b.Logf("GetMe / baseline throughput: %.2f", getMe/floor)
	}
}
