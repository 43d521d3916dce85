package awslambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/fiso-dev/fiso/functions/samples/sample"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/cloud/awslambda"
	"github.com/fiso-dev/fiso/shared/localcloud"
)

func testConfig() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-real-secret", ""),
	}
}

// emulator serves the sample and some misbehaving functions with the Lambda
// Invoke API on loopback.
func emulator(t *testing.T) *httptest.Server {
	t.Helper()
	api := localcloud.NewLambdaAPI(localcloud.WithKeepWarm(time.Hour))
	release := make(chan struct{})
	fns := map[string]localcloud.LambdaFunction{
		"fiso-sample": {NewHandler: localcloud.HandlerOf(sample.HandleLambda)},
		"fails": {NewHandler: localcloud.HandlerOf(func(context.Context, json.RawMessage) (string, error) {
			return "", errors.New("payment declined for order 17")
		})},
		"panics": {NewHandler: localcloud.HandlerOf(func(context.Context, json.RawMessage) (string, error) {
			var m map[string]int
			m["x"]++ // assignment to entry in nil map
			return "", nil
		})},
		"slow": {Timeout: 10 * time.Second, NewHandler: localcloud.HandlerOf(func(ctx context.Context, _ json.RawMessage) (string, error) {
			select {
			case <-ctx.Done():
			case <-release:
			}
			return "late", nil
		})},
		"big": {NewHandler: localcloud.HandlerOf(func(context.Context, json.RawMessage) (string, error) {
			return strings.Repeat("b", 2048), nil
		})},
		"whoami": {NewHandler: localcloud.HandlerOf(func(ctx context.Context, _ json.RawMessage) (string, error) {
			lc, _ := lambdacontext.FromContext(ctx)
			return lc.InvokedFunctionArn, nil
		})},
	}
	for name, fn := range fns {
		if err := api.Register(name, fn); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(api)
	t.Cleanup(func() {
		close(release)
		srv.Close()
		api.Wait()
	})
	return srv
}

func deployment(target string) catalog.Deployment {
	return catalog.Deployment{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1", Target: target}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestInvokeSample(t *testing.T) {
	srv := emulator(t)
	c := awslambda.New(testConfig(), awslambda.WithBaseEndpoint(srv.URL))
	tests := []struct {
		name     string
		target   string
		payload  []byte
		wantCold bool
		wantSize float64
	}{
		{"cold start", "fiso-sample", []byte(`{"order":"o-1"}`), true, 15},
		{"warm", "fiso-sample", []byte(`{"order":"o-1"}`), false, 15},
		{"by ARN, empty payload", "arn:aws:lambda:us-east-1:123456789012:function:fiso-sample", nil, false, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Invoke(context.Background(), deployment(tc.target), tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(resp.Body, &got); err != nil {
				t.Fatalf("body %q: %v", resp.Body, err)
			}
			if got["message"] != sample.Message || got["platform"] != sample.PlatformAWS || got["region"] != "us-east-1" || got["received_bytes"] != tc.wantSize {
				t.Errorf("got %v", got)
			}
			if resp.StatusCode != 200 || resp.ContentType != "application/json" || !uuidRE.MatchString(resp.RequestID) {
				t.Errorf("got status %d, content type %q, request ID %q", resp.StatusCode, resp.ContentType, resp.RequestID)
			}
			if resp.ColdStart == nil || *resp.ColdStart != tc.wantCold {
				t.Errorf("got ColdStart %v, want %v", fmtBool(resp.ColdStart), tc.wantCold)
			}
			// The REPORT line's billing figures travel with the answer.
			if resp.BilledDurationMs < 1 || resp.BilledDurationMs != float64(int(resp.BilledDurationMs)) || resp.MaxMemoryUsedMB < 1 || resp.MaxMemoryUsedMB > 128 {
				t.Errorf("got billed duration %v ms, max memory %d MB; want whole milliseconds >= 1 and 1-128 MB", resp.BilledDurationMs, resp.MaxMemoryUsedMB)
			}
		})
	}
}

func fmtBool(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "true"
	}
	return "false"
}

func TestInvokeUsesTheDeploymentsRegion(t *testing.T) {
	srv := emulator(t)
	c := awslambda.New(testConfig(), awslambda.WithBaseEndpoint(srv.URL))
	d := deployment("whoami")
	d.Region = "eu-central-1"
	resp, err := c.Invoke(context.Background(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"arn:aws:lambda:eu-central-1:123456789012:function:whoami"`; string(resp.Body) != want {
		t.Fatalf("the function was invoked as %s, want %s", resp.Body, want)
	}
}

func TestInvokeFailures(t *testing.T) {
	srv := emulator(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name       string
		endpoint   string
		target     string
		timeout    time.Duration
		opts       []awslambda.Option
		wantKind   cloud.Kind
		wantStatus int
		wantDetail string
		wantResp   bool // a Response accompanies the error
	}{
		{name: "handler error", target: "fails", wantKind: cloud.FunctionError, wantStatus: 200,
			wantDetail: "function error (Unhandled): errorString: payment declined for order 17", wantResp: true},
		{name: "handler panic", target: "panics", wantKind: cloud.FunctionError, wantStatus: 200,
			wantDetail: "function error (Unhandled): plainError: assignment to entry in nil map", wantResp: true},
		{name: "unknown function", target: "nope", wantKind: cloud.Rejected, wantStatus: 404,
			wantDetail: "ResourceNotFoundException: Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"},
		{name: "unknown alias", target: "fiso-sample:live", wantKind: cloud.Rejected, wantStatus: 404,
			wantDetail: "ResourceNotFoundException"},
		{name: "timeout", target: "slow", timeout: 100 * time.Millisecond, wantKind: cloud.Timeout,
			wantDetail: "no answer before the attempt's deadline"},
		{name: "unreachable", endpoint: closed.URL, target: "fiso-sample", wantKind: cloud.Unreachable,
			wantDetail: "connect"},
		{name: "cap exceeded", target: "big", opts: []awslambda.Option{awslambda.WithMaxResponseBytes(1024)},
			wantKind: cloud.TooLarge, wantStatus: 200, wantDetail: "exceeds the 1024-byte cap", wantResp: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			endpoint := srv.URL
			if tc.endpoint != "" {
				endpoint = tc.endpoint
			}
			c := awslambda.New(testConfig(), append([]awslambda.Option{awslambda.WithBaseEndpoint(endpoint)}, tc.opts...)...)
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			resp, err := c.Invoke(ctx, deployment(tc.target), []byte(`{}`))
			var ce *cloud.Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *cloud.Error", err)
			}
			if ce.Kind != tc.wantKind || ce.StatusCode != tc.wantStatus {
				t.Fatalf("got %s/%d (%v), want %s/%d", ce.Kind, ce.StatusCode, err, tc.wantKind, tc.wantStatus)
			}
			if !strings.Contains(ce.Detail, tc.wantDetail) {
				t.Errorf("detail %q does not contain %q", ce.Detail, tc.wantDetail)
			}
			if strings.Contains(err.Error(), "not-a-real-secret") {
				t.Errorf("error %q carries the secret key", err)
			}
			if got := resp.StatusCode != 0; got != tc.wantResp {
				t.Errorf("response returned = %v, want %v", got, tc.wantResp)
			}
			if tc.wantResp && tc.wantKind == cloud.TooLarge && resp.Body != nil {
				t.Errorf("a truncated body was returned")
			}
		})
	}
}

// A FunctionError attempt still reports its cold start: it ran, and was billed.
func TestFunctionErrorKeepsColdStart(t *testing.T) {
	srv := emulator(t)
	c := awslambda.New(testConfig(), awslambda.WithBaseEndpoint(srv.URL))
	for i, wantCold := range []bool{true, false} {
		resp, err := c.Invoke(context.Background(), deployment("fails"), nil)
		if cloud.KindOf(err) != cloud.FunctionError {
			t.Fatalf("call %d: got %v", i, err)
		}
		if resp.ColdStart == nil || *resp.ColdStart != wantCold || resp.RequestID == "" {
			t.Fatalf("call %d: got ColdStart %s, request ID %q; want %v", i, fmtBool(resp.ColdStart), resp.RequestID, wantCold)
		}
	}
}

// The SDK's error shapes as the real service sends them: a throttle, an
// access denial and a service fault, from a server speaking Lambda's wire
// format for them.
func TestInvokeServiceErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		errorType  string
		body       string
		wantKind   cloud.Kind
		wantDetail string
	}{
		{"throttled", 429, "TooManyRequestsException", `{"Reason":"ConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`,
			cloud.Throttled, "TooManyRequestsException: Rate Exceeded."},
		{"access denied", 403, "AccessDeniedException", `{"Message":"User: arn:aws:sts::123456789012:assumed-role/fiso is not authorized to perform: lambda:InvokeFunction"}`,
			cloud.Rejected, "not authorized to perform: lambda:InvokeFunction"},
		{"service fault", 500, "ServiceException", `{"Type":"Service","Message":"An internal error occurred"}`,
			cloud.Unavailable, "ServiceException"},
		{"ENI limit", 502, "ENILimitReachedException", `{"Type":"Server","message":"ENI limit reached"}`,
			cloud.Unavailable, "ENILimitReachedException"},
		{"conflict", 409, "ResourceConflictException", `{"Type":"User","message":"The operation cannot be performed at this time."}`,
			cloud.Rejected, "ResourceConflictException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Amzn-RequestId", "11111111-2222-3333-4444-555555555555")
				w.Header().Set("X-Amzn-ErrorType", tc.errorType)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			c := awslambda.New(testConfig(), awslambda.WithBaseEndpoint(srv.URL))
			_, err := c.Invoke(context.Background(), deployment("fiso-sample"), nil)
			var ce *cloud.Error
			if !errors.As(err, &ce) || ce.Kind != tc.wantKind || ce.StatusCode != tc.status {
				t.Fatalf("got %v, want %s (HTTP %d)", err, tc.wantKind, tc.status)
			}
			if !strings.Contains(ce.Detail, tc.wantDetail) {
				t.Errorf("detail %q does not contain %q", ce.Detail, tc.wantDetail)
			}
		})
	}
}

type failingCredentials struct{}

func (failingCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{}, errors.New("no EC2 IMDS role found")
}

func TestInvokeWithoutAWSCredentials(t *testing.T) {
	srv := emulator(t)
	cfg := testConfig()
	cfg.Credentials = failingCredentials{}
	c := awslambda.New(cfg, awslambda.WithBaseEndpoint(srv.URL))
	_, err := c.Invoke(context.Background(), deployment("fiso-sample"), nil)
	if got := cloud.KindOf(err); got != cloud.Credentials {
		t.Fatalf("got %v (%s), want Credentials", err, got)
	}
}

// Concurrent attempts share one Client.
func TestInvokeConcurrently(t *testing.T) {
	srv := emulator(t)
	c := awslambda.New(testConfig(), awslambda.WithBaseEndpoint(srv.URL))
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.Invoke(context.Background(), deployment("fiso-sample"), []byte(`{"n":1}`))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
