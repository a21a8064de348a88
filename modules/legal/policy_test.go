package legal

import (
	"testing"

	legalv1 "github.com/plyrfm/plyr/internal/gen/plyr/legal/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
)

func TestPolicy_CoversEveryProcedure(t *testing.T) {
	rpctest.RequirePolicyCovers(t, policy, legalv1.File_plyr_legal_v1_legal_proto.Services().Get(0))
}
