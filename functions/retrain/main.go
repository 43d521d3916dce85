// Command retrain is FISO's scheduled training as an AWS Lambda function: an
// EventBridge schedule (hourly) invokes it; it reads each function's recent
// invocation log, fits a challenger model per deployment, keeps the better
// of challenger and champion on the newest calls, and announces promotions
// and drift on the event bus. Wiring only; the job is shared/retrain's.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/retrain"
)

func main() {
	controlplane.TuneGC(os.Getenv)
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := newHandler(context.Background(), os.Getenv, controlplane.Options{Logger: logger})
	if err != nil {
		logger.Error("start the retrain job", slog.Any("error", err))
		os.Exit(1)
	}
	lambda.Start(h)
}

// summary is what one run returns (and Lambda logs as its result).
type summary struct {
	Functions []retrain.FunctionReport `json:"functions"`
}

type handler func(ctx context.Context, ev events.EventBridgeEvent) (summary, error)

// newHandler builds the handler from the environment. A run fails only when
// no function could be trained; the champions stay in force whatever
// happens.
func newHandler(ctx context.Context, getenv func(string) string, opts controlplane.Options) (handler, error) {
	cfg, st, err := controlplane.OpenForJob(ctx, getenv, opts)
	if err != nil {
		return nil, err
	}
	job, err := controlplane.NewRetrainJob(ctx, cfg, st, opts)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, _ events.EventBridgeEvent) (summary, error) {
		reports, err := job.Run(ctx)
		return summary{Functions: reports}, err
	}, nil
}
