// Command pricing is FISO's scheduled pricing job as an AWS Lambda function:
// an EventBridge schedule (daily) invokes it, it pulls the rate cards of
// every region FISO needs from the three providers' price lists, stores the
// ones that changed and announces changes and failures on the event bus.
// Wiring only; the job is shared/controlplane's PricingJob.
package main

import (
	"context"

	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/lambdajob"
	"github.com/fiso-dev/fiso/shared/pricepull"
)

func main() { lambdajob.Start("pricing", newHandler) }

// summary is what one run returns (and Lambda logs as its result).
type summary struct {
	Results []pricepull.Result `json:"results"`
}

// newHandler builds the handler from the environment. The run fails (an
// error, so EventBridge and CloudWatch record it) only when no pull
// succeeded at all; the cards in force are never replaced by a bad pull.
func newHandler(ctx context.Context, getenv func(string) string, opts controlplane.Options) (lambdajob.Handler[summary], error) {
	return lambdajob.New(ctx, getenv, opts, controlplane.NewPricingJob,
		func(ctx context.Context, job *controlplane.PricingJob) (summary, error) {
			results, err := job.Run(ctx)
			return summary{Results: results}, err
		})
}
