// Command pricing is FISO's scheduled pricing job as an AWS Lambda function:
// an EventBridge schedule (daily) invokes it, it pulls the rate cards of
// every region FISO needs from the three providers' price lists, stores the
// ones that changed and announces changes and failures on the event bus.
// Wiring only; the job is shared/controlplane's PricingJob.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/pricepull"
)

func main() {
	controlplane.TuneGC(os.Getenv)
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := newHandler(context.Background(), os.Getenv, controlplane.Options{Logger: logger})
	if err != nil {
		logger.Error("start the pricing job", slog.Any("error", err))
		os.Exit(1)
	}
	lambda.Start(h)
}

// summary is what one run returns (and Lambda logs as its result).
type summary struct {
	Results []pricepull.Result `json:"results"`
}

type handler func(ctx context.Context, ev events.EventBridgeEvent) (summary, error)

// newHandler builds the handler from the environment. The run fails (an
// error, so EventBridge and CloudWatch record it) only when no pull
// succeeded at all; the cards in force are never replaced by a bad pull.
func newHandler(ctx context.Context, getenv func(string) string, opts controlplane.Options) (handler, error) {
	cfg, st, err := controlplane.OpenForJob(ctx, getenv, opts)
	if err != nil {
		return nil, err
	}
	job, err := controlplane.NewPricingJob(ctx, cfg, st, opts)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, _ events.EventBridgeEvent) (summary, error) {
		results, err := job.Run(ctx)
		return summary{Results: results}, err
	}, nil
}
