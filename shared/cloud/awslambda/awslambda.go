// Package awslambda invokes AWS Lambda deployments for FISO through the
// Lambda Invoke API (aws-sdk-go-v2), synchronously and with the log tail, so
// that every attempt also tells FISO whether it hit a cold start and what it
// was billed: the REPORT line at the end of the tail says both.
//
// A function's own failure comes back from Lambda as a 200 with a
// FunctionError header, not as an SDK error; this package turns it into a
// failed attempt like any other cloud's 5xx.
package awslambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/orchestrator"
)

// DetailBytes bounds the function's error message kept in cloud.Error.Detail.
const DetailBytes = 512

// Client invokes Lambda deployments.
type Client struct {
	api   *lambda.Client
	limit int64
}

var _ orchestrator.Invoker = (*Client)(nil)

type options struct {
	baseEndpoint string
	limit        int64
}

// Option configures a Client.
type Option func(*options)

// WithBaseEndpoint sends every call to endpoint instead of the regional
// Lambda endpoint: a local emulator (localcloud.LambdaAPI) or a test server.
func WithBaseEndpoint(endpoint string) Option {
	return func(o *options) { o.baseEndpoint = endpoint }
}

// WithMaxResponseBytes caps the function's answer (cloud.MaxResponseBytes by
// default, Lambda's own limit); a longer answer fails as cloud.TooLarge.
func WithMaxResponseBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.limit = n
		}
	}
}

// New returns a Client that calls Lambda with cfg's credentials and HTTP
// client. The region comes from each deployment, not from cfg.
//
// The SDK's own retries are turned off: one Invoke is one attempt, and the
// orchestrator decides whether and where to try again (maybe on another
// cloud), within the deadline it set.
func New(cfg aws.Config, opts ...Option) *Client {
	o := options{limit: cloud.MaxResponseBytes}
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.Credentials != nil {
		cfg.Credentials = markedCredentials{cfg.Credentials}
	}
	api := lambda.NewFromConfig(cfg, func(lo *lambda.Options) {
		lo.Retryer = aws.NopRetryer{}
		if o.baseEndpoint != "" {
			lo.BaseEndpoint = aws.String(o.baseEndpoint)
		}
	})
	return &Client{api: api, limit: o.limit}
}

// Invoke calls d.Target (a function name or ARN) in d.Region synchronously
// with the log tail. An empty payload is sent as "{}": Lambda requires JSON.
//
// The Response has StatusCode 200, ContentType application/json, the request
// ID, and ColdStart from the REPORT line of the tail (nil without one). When
// the function itself failed (FunctionError), the error is a
// cloud.FunctionError whose Detail is the function's errorType and
// errorMessage, and the Response is returned too: the attempt ran, was
// billed, and may have been a cold start.
func (c *Client) Invoke(ctx context.Context, d catalog.Deployment, payload []byte) (cloud.Response, error) {
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	what := "lambda:Invoke " + d.Target
	out, err := c.api.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(d.Target),
		InvocationType: types.InvocationTypeRequestResponse,
		LogType:        types.LogTypeTail,
		Payload:        payload,
	}, func(o *lambda.Options) {
		if d.Region != "" {
			o.Region = d.Region
		}
		o.APIOptions = append(o.APIOptions, capResponse(c.limit))
	})
	if err != nil {
		return cloud.Response{}, classify(ctx, err, what)
	}
	resp := cloud.Response{
		Body:        out.Payload,
		ContentType: "application/json",
		StatusCode:  int(out.StatusCode),
	}
	if r, ok := ReportFromLogResult(aws.ToString(out.LogResult)); ok {
		cold := r.ColdStart()
		resp.ColdStart = &cold
		resp.BilledDurationMs = float64(r.BilledDuration.Microseconds()) / 1000
		resp.MemorySizeMB, resp.MaxMemoryUsedMB = r.MemorySizeMB, r.MaxMemoryUsedMB
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); ok {
		resp.RequestID = id
	}
	if int64(len(out.Payload)) > c.limit {
		resp.Body = nil // a truncated answer must not be mistaken for the answer
		return resp, &cloud.Error{
			Kind:       cloud.TooLarge,
			StatusCode: resp.StatusCode,
			Detail:     fmt.Sprintf("%s: the answer exceeds the %d-byte cap", what, c.limit),
		}
	}
	if fe := aws.ToString(out.FunctionError); fe != "" {
		return resp, &cloud.Error{
			Kind:       cloud.FunctionError,
			StatusCode: resp.StatusCode,
			Detail:     fmt.Sprintf("%s: function error (%s): %s", what, fe, functionErrorDetail(out.Payload)),
		}
	}
	return resp, nil
}

// ColdStart reads the base64 log tail Lambda returns (X-Amz-Log-Result):
// true when its REPORT line has an init (or SnapStart restore) phase, false
// when it has a REPORT line without one, nil when there is no REPORT line to
// tell (no tail, or a tail cut before it).
func ColdStart(logResult string) *bool {
	r, ok := ReportFromLogResult(logResult)
	if !ok {
		return nil
	}
	cold := r.ColdStart()
	return &cold
}

// ReportFromLogResult decodes the base64 log tail and parses its REPORT line.
func ReportFromLogResult(logResult string) (Report, bool) {
	if logResult == "" {
		return Report{}, false
	}
	b, err := base64.StdEncoding.DecodeString(logResult)
	if err != nil {
		return Report{}, false
	}
	return ParseReport(string(b))
}

// functionErrorDetail summarizes the error payload the runtime wrote
// ({"errorType": ..., "errorMessage": ...}); the stack trace is left out.
func functionErrorDetail(payload []byte) string {
	var e struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}
	var s string
	switch {
	case json.Unmarshal(payload, &e) == nil && (e.Type != "" || e.Message != ""):
		s = strings.TrimPrefix(e.Type+": "+e.Message, ": ")
	case utf8.Valid(payload):
		s = string(payload)
	default:
		return "(the error payload is not text)"
	}
	return truncate(strings.Join(strings.Fields(s), " "), DetailBytes)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := s[:n]
	for len(cut) > 0 && !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return cut + "…"
}

// classify maps an SDK error to a failed attempt. AWS's error messages name
// functions and request IDs, never credentials, so they are kept in Detail.
func classify(ctx context.Context, err error, what string) *cloud.Error {
	var ce credentialsError
	if errors.As(err, &ce) {
		return &cloud.Error{Kind: cloud.Credentials, Detail: what + ": could not obtain FISO's AWS credentials: " + ce.Error(), Err: err}
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%w)", err, ctxErr)
		}
		return cloud.Classify(err, what)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	detail := fmt.Sprintf("%s: %s: %s", what, api.ErrorCode(), truncate(api.ErrorMessage(), DetailBytes))
	e := &cloud.Error{StatusCode: status, Detail: detail, Err: err}
	throttle := retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}
	switch {
	case status == 429 || throttle.IsErrorThrottle(err) == aws.TrueTernary:
		e.Kind = cloud.Throttled
	case status == 408 || api.ErrorCode() == "RequestTimeout" || api.ErrorCode() == "RequestTimeoutException":
		e.Kind = cloud.Timeout
	case status >= 500 || (status == 0 && api.ErrorFault() == smithy.FaultServer):
		// Lambda could not run the function (ServiceException, KMS, ENI,
		// EFS ... errors): the platform is failing, as another cloud's 502-504.
		e.Kind = cloud.Unavailable
	default:
		// ResourceNotFound, AccessDenied, InvalidParameterValue, ... : FISO's
		// call or configuration is wrong.
		e.Kind = cloud.Rejected
	}
	return e
}

// markedCredentials tags failures to obtain FISO's own AWS credentials, which
// the SDK reports as plain errors, so that they classify as Credentials.
type markedCredentials struct{ p aws.CredentialsProvider }

func (m markedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := m.p.Retrieve(ctx)
	if err != nil {
		return c, credentialsError{err}
	}
	return c, nil
}

type credentialsError struct{ err error }

func (e credentialsError) Error() string { return e.err.Error() }
func (e credentialsError) Unwrap() error { return e.err }

// capResponse bounds how much of the response body the SDK reads: it
// deserializes the payload into memory, so the cap must apply before it does.
// One byte more than the cap is let through so that an answer over the cap is
// recognizable as such.
func capResponse(limit int64) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Deserialize.Insert(middleware.DeserializeMiddlewareFunc("FISOResponseCap",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.Body != nil {
					resp.Body = limitedBody{io.LimitReader(resp.Body, limit+1), resp.Body}
				}
				return out, md, err
			}), "OperationDeserializer", middleware.After)
	}
}

type limitedBody struct {
	io.Reader
	io.Closer
}
