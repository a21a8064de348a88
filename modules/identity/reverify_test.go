package identity_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	atid "github.com/bluesky-social/indigo/atproto/identity"
	"github.com/bluesky-social/indigo/atproto/syntax"
	"github.com/stretchr/testify/require"
)

// laterDirectory verifies one DID's handle now (its DNS record has appeared since the
// sign-in), and no other; it counts lookups.
type laterDirectory struct {
	noAccounts
	did     syntax.DID
	handle  syntax.Handle
	lookups atomic.Int32
}

func (d *laterDirectory) LookupDID(_ context.Context, did syntax.DID) (*atid.Identity, error) {
	d.lookups.Add(1)
	if did == d.did {
		return &atid.Identity{DID: did, Handle: d.handle}, nil
	}
	return &atid.Identity{DID: did, Handle: syntax.HandleInvalid}, nil
}

// An account shown as handle.invalid is checked again later (the housekeeping sweep),
// not only at its next sign-in, and each account at most once per recheck period.
func TestReverifyHandles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := &laterDirectory{did: "did:plc:late", handle: "late.test"}
	_, m := signInMux(t, dir)
	for _, did := range []string{"did:plc:late", "did:plc:never"} {
		_, err := m.EnsureAccount(ctx, did, "placeholder.test")
		require.NoError(t, err)
	}
	handles, err := m.Handles(ctx, []string{"did:plc:late", "did:plc:never"})
	require.NoError(t, err)
	require.Len(t, handles, 2)
	setInvalid(t, m, "did:plc:late", "did:plc:never")

	now := time.Now()
	verified, err := m.ReverifyHandles(ctx, now, 10)
	require.NoError(t, err)
	require.Equal(t, 1, verified)
	handles, err = m.Handles(ctx, []string{"did:plc:late", "did:plc:never"})
	require.NoError(t, err)
	require.Equal(t, "late.test", handles["did:plc:late"])
	require.Equal(t, "handle.invalid", handles["did:plc:never"])

	lookups := dir.lookups.Load()
	verified, err = m.ReverifyHandles(ctx, now.Add(time.Minute), 10)
	require.NoError(t, err)
	require.Zero(t, verified)
	require.Equal(t, lookups, dir.lookups.Load(), "an account checked a minute ago is not looked up again")
}

func setInvalid(t *testing.T, m interface {
	SetHandleInvalidForTest(context.Context, ...string) error
}, dids ...string) {
	t.Helper()
	require.NoError(t, m.SetHandleInvalidForTest(context.Background(), dids...))
}
