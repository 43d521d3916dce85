// Package lambdajob runs FISO's scheduled jobs (pricing, retrain, finops) as
// AWS Lambda functions that an EventBridge schedule invokes: the same
// start-up, store opening and handler shape for each, so that a job's
// command is only what its run returns.
package lambdajob

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fiso-dev/fiso/shared/controlplane"
	"github.com/fiso-dev/fiso/shared/store"
)

// Handler is a job's Lambda handler: one run per scheduled event, whose
// result Lambda logs.
type Handler[R any] func(ctx context.Context, ev events.EventBridgeEvent) (R, error)

// Builder builds a job's handler from the environment (getenv) and
// options; tests call it with their own.
type Builder[R any] func(ctx context.Context, getenv func(string) string, opts controlplane.Options) (Handler[R], error)

// Start tunes the garbage collector as the control plane does, builds the
// handler with JSON logs to stdout, and serves it; a job that cannot start
// exits with the reason logged.
func Start[R any](name string, build Builder[R]) {
	controlplane.TuneGC(os.Getenv)
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := build(context.Background(), os.Getenv, controlplane.Options{Logger: logger})
	if err != nil {
		logger.Error("start the "+name+" job", slog.Any("error", err))
		os.Exit(1)
	}
	lambda.Start(h)
}

// New opens the configured store, makes the job with newJob and returns a
// handler that runs it once per event.
func New[J, R any](ctx context.Context, getenv func(string) string, opts controlplane.Options,
	newJob func(context.Context, controlplane.Config, store.Store, controlplane.Options) (J, error),
	run func(context.Context, J) (R, error)) (Handler[R], error) {
	cfg, st, err := controlplane.OpenForJob(ctx, getenv, opts)
	if err != nil {
		return nil, err
	}
	job, err := newJob(ctx, cfg, st, opts)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, _ events.EventBridgeEvent) (R, error) { return run(ctx, job) }, nil
}
