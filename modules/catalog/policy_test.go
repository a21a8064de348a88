package catalog

import (
	"testing"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
	"github.com/plyrfm/plyr/internal/platform/rpc/rpctest"
)

func TestPolicy_CoversEveryProcedure(t *testing.T) {
	rpctest.RequirePolicyCovers(t, policy, catalogv1.File_plyr_catalog_v1_catalog_proto.Services().Get(0))
	services := catalogv1.File_plyr_catalog_v1_listening_proto.Services()
	for i := range services.Len() {
		rpctest.RequirePolicyCovers(t, policy, services.Get(i))
	}
}
