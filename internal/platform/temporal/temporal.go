// Package temporal connects plyr to a Temporal server: the client (with the SDK's logs
// through plyr's slog logger), the search attributes that let operators find any
// workflow by track or account, and a worker interceptor that counts workflow outcomes.
//
// The embedded development server lives in the devserver subpackage: it links the whole
// Temporal server, so only `plyr dev` and the test environment import it.
package temporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdktemporal "go.temporal.io/sdk/temporal"
)

// Search attributes set on plyr's workflows. Operators filter on them in the Web UI:
// TrackId = "…" or Did = "did:plc:…".
var (
	// TrackIDKey is the track a workflow works on.
	TrackIDKey = sdktemporal.NewSearchAttributeKeyKeyword("TrackId")
	// DIDKey is the account a workflow acts for.
	DIDKey = sdktemporal.NewSearchAttributeKeyKeyword("Did")
)

// SearchAttributes lists the custom search attributes plyr's workflows set, with their type.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	TrackIDKey.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	DIDKey.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// Dial connects to the frontend at address and checks that it answers.
func Dial(ctx context.Context, address, namespace string, logger *slog.Logger) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  address,
		Namespace: namespace,
		Logger:    sdklog.NewStructuredLogger(logger.With("component", "temporal-sdk")),
	})
	if err != nil {
		return nil, fmt.Errorf("connect to temporal at %s: %w", address, err)
	}
	return c, nil
}

// Ping checks that the frontend answers.
func Ping(ctx context.Context, c client.Client) error {
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("temporal health: %w", err)
	}
	return nil
}

// EnsureSearchAttributes registers plyr's search attributes in namespace when they are
// missing. It is idempotent. Servers that do not let plyr administer them (Temporal
// Cloud, a locked-down cluster) need them created by an operator once; the error says so.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ops := c.OperatorService()
	existing, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range SearchAttributes {
		if _, ok := existing.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes %v (an operator can run `temporal operator search-attribute create`): %w", keys(missing), err)
	}
	return nil
}

func keys(m map[string]enumspb.IndexedValueType) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
