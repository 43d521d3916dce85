// Command finops is FISO's hourly FinOps job as an AWS Lambda function: an
// EventBridge schedule invokes it; it releases budget reservations whose
// calls never settled and looks for spend anomalies. Wiring only; the work
// is shared/controlplane's FinOpsJob.
package main

import (
	"context"

	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/lambdajob"
)

func main() { lambdajob.Start("finops", newHandler) }

func newHandler(ctx context.Context, getenv func(string) string, opts controlplane.Options) (lambdajob.Handler[controlplane.FinOpsReport], error) {
	return lambdajob.New(ctx, getenv, opts, controlplane.NewFinOpsJob,
		func(ctx context.Context, job *controlplane.FinOpsJob) (controlplane.FinOpsReport, error) {
			return job.Run(ctx)
		})
}
