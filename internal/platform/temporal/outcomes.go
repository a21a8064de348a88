package temporal

import (
	"errors"

	"go.temporal.io/sdk/interceptor"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/plyrfm/plyr/internal/platform/metrics"
)

// NewOutcomeInterceptor counts each workflow execution's outcome on the worker that ends
// it. Replays are skipped, so an execution is counted once however often it is replayed.
func NewOutcomeInterceptor(m *metrics.Metrics) interceptor.WorkerInterceptor {
	return &outcomeInterceptor{m: m}
}

type outcomeInterceptor struct {
	interceptor.WorkerInterceptorBase
	m *metrics.Metrics
}

func (o *outcomeInterceptor) InterceptWorkflow(
	_ workflow.Context, next interceptor.WorkflowInboundInterceptor,
) interceptor.WorkflowInboundInterceptor {
	return &outcomeInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, m: o.m}
}

type outcomeInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	m *metrics.Metrics
}

func (o *outcomeInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	result, err := o.Next.ExecuteWorkflow(ctx, in)
	if !workflow.IsReplaying(ctx) {
		o.m.WorkflowOutcomes.WithLabelValues(workflow.GetInfo(ctx).WorkflowType.Name, Outcome(err)).Inc()
	}
	return result, err
}

// Outcome names how a workflow function returned: completed, canceled, continued_as_new
// or failed.
func Outcome(err error) string {
	var canceled *sdktemporal.CanceledError
	switch {
	case err == nil:
		return "completed"
	case errors.As(err, &canceled):
		return "canceled"
	case workflow.IsContinueAsNewError(err):
		return "continued_as_new"
	default:
		return "failed"
	}
}
