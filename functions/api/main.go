// Command api is FISO's control plane as an AWS Lambda function behind API
// Gateway (HTTP API, payload format 2.0). It is wiring only: configuration
// from FISO_* variables (DynamoDB store by default), the control plane from
// shared/controlplane, and the aws-lambda-go-api-proxy adapter.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/fiso-dev/fiso/shared/controlplane"
)

var version = "dev"

func main() {
	controlplane.TuneGC(os.Getenv)
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := newHandler(context.Background(), os.Getenv, controlplane.Options{Logger: logger, Version: version})
	if err != nil {
		logger.Error("start control plane", slog.Any("error", err))
		os.Exit(1)
	}
	lambda.Start(h)
}

// newHandler builds the Lambda handler from the environment.
func newHandler(ctx context.Context, getenv func(string) string, opts controlplane.Options) (lambdaHandler, error) {
	base := controlplane.Defaults()
	base.Store = controlplane.StoreDynamoDB
	cfg, err := controlplane.FromEnv(getenv, base)
	if err != nil {
		return nil, err
	}
	cp, err := controlplane.New(ctx, cfg, opts)
	if err != nil {
		return nil, err
	}
	return proxy(cp.Handler, opts.Logger), nil
}
