package media

import (
	"testing"

	"github.com/stretchr/testify/require"

	mediav1 "github.com/plyrfm/plyr/internal/gen/plyr/media/v1"
)

func TestPolicy_CoversEveryProcedure(t *testing.T) {
	svc := mediav1.File_plyr_media_v1_media_proto.Services().Get(0)
	for i := range svc.Methods().Len() {
		procedure := "/" + string(svc.FullName()) + "/" + string(svc.Methods().Get(i).Name())
		_, ok := policy[procedure]
		require.True(t, ok, "%s has no access level in policy", procedure)
	}
}
