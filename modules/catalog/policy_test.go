package catalog

import (
	"testing"

	"github.com/stretchr/testify/require"

	catalogv1 "github.com/plyrfm/plyr/internal/gen/plyr/catalog/v1"
)

func TestPolicy_CoversEveryProcedure(t *testing.T) {
	svc := catalogv1.File_plyr_catalog_v1_catalog_proto.Services().Get(0)
	for i := range svc.Methods().Len() {
		procedure := "/" + string(svc.FullName()) + "/" + string(svc.Methods().Get(i).Name())
		_, ok := policy[procedure]
		require.True(t, ok, "%s has no access level in policy", procedure)
	}
}
