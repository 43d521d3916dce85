// Command retrain is FISO's scheduled training as an AWS Lambda function: an
// EventBridge schedule (hourly) invokes it; it reads each function's recent
// invocation log, fits a challenger model per deployment, keeps the better
// of challenger and champion on the newest calls, and announces promotions
// and drift on the event bus. Wiring only; the job is shared/retrain's.
package main

import (
	"context"

	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/lambdajob"
	"github.com/fiso-dev/fiso/shared/retrain"
)

func main() { lambdajob.Start("retrain", newHandler) }

// summary is what one run returns (and Lambda logs as its result).
type summary struct {
	Functions []retrain.FunctionReport `json:"functions"`
}

// newHandler builds the handler from the environment. A run fails only when
// no function could be trained; the champions stay in force whatever
// happens.
func newHandler(ctx context.Context, getenv func(string) string, opts controlplane.Options) (lambdajob.Handler[summary], error) {
	return lambdajob.New(ctx, getenv, opts, controlplane.NewRetrainJob,
		func(ctx context.Context, job *retrain.Trainer) (summary, error) {
			reports, err := job.Run(ctx)
			return summary{Functions: reports}, err
		})
}
