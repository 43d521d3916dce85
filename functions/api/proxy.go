package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/fiso-dev/fiso/shared/httpapi"
)

type lambdaHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// proxy adapts the API to API Gateway HTTP API events. An event that cannot
// become an HTTP request (a body flagged base64 that is not, say) is the
// caller's fault: it gets a 400 problem, not a failed invocation that API
// Gateway would turn into a 500.
func proxy(h http.Handler, logger *slog.Logger) lambdaHandler {
	adapter := httpadapter.NewV2(h)
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		resp, err := adapter.ProxyWithContext(ctx, ev)
		if err == nil {
			return resp, nil
		}
		if logger != nil {
			logger.Warn("unusable API Gateway event", slog.String("request_id", ev.RequestContext.RequestID), slog.Any("error", err))
		}
		body, _ := json.Marshal(httpapi.Problem{
			Type:      httpapi.ProblemTypePrefix + "validation",
			Title:     "Invalid request",
			Status:    http.StatusBadRequest,
			Detail:    "the request could not be read (malformed body encoding or path)",
			Instance:  ev.RawPath,
			RequestID: ev.RequestContext.RequestID,
		})
		return events.APIGatewayV2HTTPResponse{
			StatusCode: http.StatusBadRequest,
			Headers:    map[string]string{"Content-Type": "application/problem+json"},
			Body:       string(body),
		}, nil
	}
}
