// Package sample is FISO's sample workload: one piece of logic served three
// ways, as an AWS Lambda handler, a Google Cloud Functions HTTP function and
// an Azure Functions custom handler. It exists so that routing, failover and
// cold-start measurements have the same function to call on every cloud, and
// answers differ only in the platform they name.
package sample

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Platform names as the answer reports them.
const (
	PlatformAWS   = "AWS Lambda"
	PlatformAzure = "Azure Functions"
	PlatformGCP   = "Google Cloud Functions"
)

// Message is the greeting every platform returns.
const Message = "Hello from the FISO Sample App!"

// MaxPayloadBytes bounds what the HTTP adapters read: Lambda's synchronous
// limit, so the sample accepts the same events everywhere.
const MaxPayloadBytes = 6 << 20

// Response is the sample's answer. It reports the payload's size, never the
// payload: a sample must not become an echo service.
type Response struct {
	Message       string `json:"message"`
	Platform      string `json:"platform"`
	GoVersion     string `json:"go_version"`
	Region        string `json:"region,omitempty"`
	ReceivedBytes int    `json:"received_bytes"`
}

// Answer is the sample's logic.
func Answer(platform, region string, payload []byte) Response {
	return Response{
		Message:       Message,
		Platform:      platform,
		GoVersion:     runtime.Version(),
		Region:        region,
		ReceivedBytes: len(payload),
	}
}

// HandleLambda is the aws-lambda-go handler. The region comes from the
// invoked function's ARN in the Lambda context, which the runtime always
// sets, rather than from the environment.
func HandleLambda(ctx context.Context, event json.RawMessage) (Response, error) {
	region := ""
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		region = regionOfARN(lc.InvokedFunctionArn)
	}
	return Answer(PlatformAWS, region, event), nil
}

// regionOfARN returns the region field of arn:aws:lambda:REGION:ACCOUNT:...
func regionOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" || parts[2] != "lambda" {
		return ""
	}
	return parts[3]
}

// HTTP is the Google Cloud Functions handler. Cloud Run functions (gen2)
// expose no region variable (only the metadata server knows it, and a sample
// should not make network calls), so the answer carries none.
func HTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST")
		writeJSON(w, http.StatusMethodNotAllowed, problem{"method not allowed"})
		return
	}
	serve(w, r, PlatformGCP, "")
}

// AzureOption configures AzureHandler.
type AzureOption func(*azureConfig)

type azureConfig struct{ region string }

// WithRegion sets the region the Azure answer reports; main reads it from
// REGION_NAME, which App Service sets.
func WithRegion(region string) AzureOption { return func(c *azureConfig) { c.region = region } }

// AzureHandler is the Azure Functions custom handler. With
// enableForwardingHttpRequest the host forwards the caller's request as is,
// so the handler serves the function's route, /api/sample, directly: POST
// and GET (the methods in function.json) answer; other methods get 405 and
// other paths 404.
func AzureHandler(opts ...AzureOption) http.Handler {
	var c azureConfig
	for _, o := range opts {
		o(&c)
	}
	mux := http.NewServeMux()
	h := func(w http.ResponseWriter, r *http.Request) { serve(w, r, PlatformAzure, c.region) }
	mux.HandleFunc("POST /api/sample", h)
	mux.HandleFunc("GET /api/sample", h)
	return mux
}

type problem struct {
	Error string `json:"error"`
}

func serve(w http.ResponseWriter, r *http.Request, platform, region string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPayloadBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, problem{fmt.Sprintf("payload exceeds %d bytes", MaxPayloadBytes)})
			return
		}
		writeJSON(w, http.StatusBadRequest, problem{"could not read the payload"})
		return
	}
	writeJSON(w, http.StatusOK, Answer(platform, region, body))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
