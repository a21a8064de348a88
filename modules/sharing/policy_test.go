package sharing

import (
	"testing"

	sharingv1 "github.com/plyrfm/plyr/internal/gen/plyr/sharing/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
)

func TestPolicy_CoversEveryProcedure(t *testing.T) {
	rpctest.RequirePolicyCovers(t, policy, sharingv1.File_plyr_sharing_v1_sharing_proto.Services().Get(0))
}
