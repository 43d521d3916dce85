// Command finops is FISO's hourly FinOps job as an AWS Lambda function: an
// EventBridge schedule invokes it; it releases budget reservations whose
// calls never settled and looks for spend anomalies. Wiring only; the work
// is shared/controlplane's FinOpsJob.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fiso-dev/fiso/shared/controlplane"
)

func main() {
	controlplane.TuneGC(os.Getenv)
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := newHandler(context.Background(), os.Getenv, controlplane.Options{Logger: logger})
	if err != nil {
		logger.Error("start the finops job", slog.Any("error", err))
		os.Exit(1)
	}
	lambda.Start(h)
}

type handler func(ctx context.Context, ev events.EventBridgeEvent) (controlplane.FinOpsReport, error)

func newHandler(ctx context.Context, getenv func(string) string, opts controlplane.Options) (handler, error) {
	cfg, st, err := controlplane.OpenForJob(ctx, getenv, opts)
	if err != nil {
		return nil, err
	}
	job, err := controlplane.NewFinOpsJob(ctx, cfg, st, opts)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, _ events.EventBridgeEvent) (controlplane.FinOpsReport, error) {
		return job.Run(ctx)
	}, nil
}
