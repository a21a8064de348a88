package media

import (
	"testing"

	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
)

func TestPolicy_CoversEveryProcedure(t *testing.T) {
	rpctest.RequirePolicyCovers(t, policy, mediav1.File_plyr_media_v1_media_proto.Services().Get(0))
}
