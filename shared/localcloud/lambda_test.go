package localcloud_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/fiso-dev/fiso/functions/samples/sample"
	"github.com/fiso-dev/fiso/shared/localcloud"
)

const sigV4 = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd"

// fakeClock is the injected clock; handlers advance it to "take" time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type lambdaEnv struct {
	api    *localcloud.LambdaAPI
	srv    *httptest.Server
	clock  *fakeClock
	events atomic.Int32
}

// newLambdaEnv serves an emulator with the sample and a few misbehaving
// functions on a loopback server.
func newLambdaEnv(t *testing.T, opts ...localcloud.LambdaOption) *lambdaEnv {
	t.Helper()
	env := &lambdaEnv{clock: newClock()}
	env.api = localcloud.NewLambdaAPI(append([]localcloud.LambdaOption{localcloud.WithClock(env.clock.Now)}, opts...)...)
	release := make(chan struct{})
	fns := map[string]localcloud.LambdaFunction{
		"fiso-sample": {MemoryMB: 256, NewHandler: func() lambda.Handler {
			env.clock.Advance(120500 * time.Microsecond) // the init phase
			return lambda.NewHandler(sample.HandleLambda)
		}},
		"slow-12ms": {NewHandler: localcloud.HandlerOf(func(ctx context.Context, _ json.RawMessage) (string, error) {
			env.clock.Advance(12345 * time.Microsecond)
			return "ok", nil
		})},
		"fails": {NewHandler: localcloud.HandlerOf(func(ctx context.Context, _ json.RawMessage) (string, error) {
			return "", errors.New("order ord-1 not found")
		})},
		"panics": {NewHandler: localcloud.HandlerOf(func(ctx context.Context, _ json.RawMessage) (string, error) {
			panic("boom")
		})},
		"hangs": {Timeout: 50 * time.Millisecond, NewHandler: localcloud.HandlerOf(func(ctx context.Context, _ json.RawMessage) (string, error) {
			<-release // ignores its context, like a stuck function
			return "late", nil
		})},
		"huge": {NewHandler: localcloud.HandlerOf(func(ctx context.Context, _ json.RawMessage) (string, error) {
			return strings.Repeat("x", localcloud.MaxLambdaPayload+200), nil
		})},
		"loud-error": {NewHandler: localcloud.HandlerOf(func(ctx context.Context, _ json.RawMessage) (string, error) {
			return "", errors.New(strings.Repeat("long message ", 500))
		})},
		"whoami": {NewHandler: localcloud.HandlerOf(func(ctx context.Context, _ json.RawMessage) (map[string]string, error) {
			lc, _ := lambdacontext.FromContext(ctx)
			return map[string]string{"arn": lc.InvokedFunctionArn, "request_id": lc.AwsRequestID}, nil
		})},
		"counts": {NewHandler: localcloud.HandlerOf(func(ctx context.Context, _ json.RawMessage) (string, error) {
			env.events.Add(1)
			return "counted", nil
		})},
	}
	for name, fn := range fns {
		if err := env.api.Register(name, fn); err != nil {
			t.Fatal(err)
		}
	}
	env.srv = httptest.NewServer(env.api)
	t.Cleanup(func() {
		close(release)
		env.srv.Close()
		env.api.Wait()
	})
	return env
}

type lambdaReply struct {
	status int
	header http.Header
	body   []byte
}

func (env *lambdaEnv) invoke(t *testing.T, method, path string, header map[string]string, body string) lambdaReply {
	t.Helper()
	req, err := http.NewRequest(method, env.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", sigV4)
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return lambdaReply{resp.StatusCode, resp.Header, b}
}

func invokePath(name string) string {
	return "/2015-03-31/functions/" + url.PathEscape(name) + "/invocations"
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestLambdaInvokeWire(t *testing.T) {
	env := newLambdaEnv(t)
	arn := "arn:aws:lambda:us-east-1:123456789012:function:fiso-sample"
	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		body       string
		wantStatus int
		wantHeader map[string]string // "" = must be absent
		wantBody   string            // substring
	}{
		{"by name", "POST", invokePath("fiso-sample"), nil, `{"a":1}`, 200,
			map[string]string{"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST", "X-Amz-Function-Error": "", "X-Amz-Log-Result": ""},
			`"platform":"AWS Lambda"`},
		{"by ARN", "POST", invokePath(arn), nil, `{}`, 200, nil, `"region":"us-east-1"`},
		{"by partial ARN", "POST", invokePath("123456789012:function:fiso-sample"), nil, `{}`, 200, nil, `"platform":"AWS Lambda"`},
		{"by name:$LATEST", "POST", invokePath("fiso-sample:$LATEST"), nil, `{}`, 200, nil, `"platform"`},
		{"Qualifier parameter", "POST", invokePath("fiso-sample") + "?Qualifier=%24LATEST", nil, `{}`, 200, nil, `"platform"`},
		{"empty payload is an empty event", "POST", invokePath("fiso-sample"), nil, ``, 200, nil, `"received_bytes":2`},
		{"log tail", "POST", invokePath("fiso-sample"), map[string]string{"X-Amz-Log-Type": "Tail"}, `{}`, 200,
			map[string]string{"X-Amz-Executed-Version": "$LATEST"}, `"platform"`},
		{"unknown function", "POST", invokePath("nope"), nil, `{}`, 404,
			map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException"},
			`{"Message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope","Type":"User"}`},
		{"unknown alias", "POST", invokePath("fiso-sample:live"), nil, `{}`, 404,
			map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException"}, `function:fiso-sample:live"`},
		{"ARN in another region", "POST", invokePath("arn:aws:lambda:eu-west-1:123456789012:function:fiso-sample"), nil, `{}`, 404,
			map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException"}, `Function not found`},
		{"ARN in another account", "POST", invokePath("arn:aws:lambda:us-east-1:999999999999:function:fiso-sample"), nil, `{}`, 404,
			map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException"}, `Function not found`},
		{"qualifier mismatch", "POST", invokePath("fiso-sample:live") + "?Qualifier=%24LATEST", nil, `{}`, 400,
			map[string]string{"X-Amzn-ErrorType": "InvalidParameterValueException"}, `does not match`},
		{"malformed Qualifier parameter", "POST", invokePath("fiso-sample") + "?Qualifier=a.b", nil, `{}`, 400,
			map[string]string{"X-Amzn-ErrorType": "InvalidParameterValueException"}, `qualifier`},
		{"malformed name", "POST", invokePath("bad name!"), nil, `{}`, 400,
			map[string]string{"X-Amzn-ErrorType": "InvalidParameterValueException"}, `"Type":"User"`},
		{"unsigned", "POST", invokePath("fiso-sample"), map[string]string{"Authorization": ""}, `{}`, 403,
			map[string]string{"X-Amzn-ErrorType": "MissingAuthenticationTokenException"}, `Missing Authentication Token`},
		{"not SigV4", "POST", invokePath("fiso-sample"), map[string]string{"Authorization": "Bearer abc"}, `{}`, 403,
			map[string]string{"X-Amzn-ErrorType": "MissingAuthenticationTokenException"}, ``},
		{"not JSON", "POST", invokePath("fiso-sample"), nil, `hello`, 400,
			map[string]string{"X-Amzn-ErrorType": "InvalidRequestContentException"}, `"message":"Could not parse request body into json`},
		{"too large", "POST", invokePath("fiso-sample"), nil, `"` + strings.Repeat("x", localcloud.MaxLambdaPayload) + `"`, 413,
			map[string]string{"X-Amzn-ErrorType": "RequestTooLargeException"}, `Request must be smaller than 6291456 bytes`},
		{"bad invocation type", "POST", invokePath("fiso-sample"), map[string]string{"X-Amz-Invocation-Type": "Later"}, `{}`, 400,
			map[string]string{"X-Amzn-ErrorType": "InvalidParameterValueException"}, `invocationType`},
		{"dry run", "POST", invokePath("fiso-sample"), map[string]string{"X-Amz-Invocation-Type": "DryRun"}, `{}`, 204, nil, ``},
		{"dry run of an unknown function", "POST", invokePath("nope"), map[string]string{"X-Amz-Invocation-Type": "DryRun"}, `{}`, 404, nil, ``},
		{"GET", "GET", invokePath("fiso-sample"), nil, ``, 404,
			map[string]string{"X-Amzn-ErrorType": "UnknownOperationException"}, ``},
		{"other path", "POST", "/2015-03-31/functions/fiso-sample", nil, `{}`, 404,
			map[string]string{"X-Amzn-ErrorType": "UnknownOperationException"}, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.invoke(t, tc.method, tc.path, tc.header, tc.body)
			if r.status != tc.wantStatus {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tc.wantStatus)
			}
			if !uuidRE.MatchString(r.header.Get("X-Amzn-RequestId")) {
				t.Errorf("X-Amzn-RequestId = %q, want a UUID", r.header.Get("X-Amzn-RequestId"))
			}
			for k, v := range tc.wantHeader {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if !bytes.Contains(r.body, []byte(tc.wantBody)) {
				t.Errorf("body %s does not contain %s", r.body, tc.wantBody)
			}
		})
	}
}

func TestLambdaFunctionErrors(t *testing.T) {
	env := newLambdaEnv(t)
	tests := []struct {
		name        string
		function    string
		wantType    string
		wantMessage string
		wantStack   bool
		wantStatus  string // Status field of the REPORT line
	}{
		{"returned error", "fails", "errorString", "order ord-1 not found", false, "error"},
		{"panic", "panics", "string", "boom", true, "error"},
		{"timeout", "hangs", "Sandbox.Timedout", "Error: Task timed out after 0.05 seconds", false, "timeout"},
		{"response too large", "huge", "Function.ResponseSizeTooLarge", "Response payload size exceeded maximum allowed payload size (6291556 bytes).", false, "error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := env.invoke(t, "POST", invokePath(tc.function), map[string]string{"X-Amz-Log-Type": "Tail"}, `{}`)
			if r.status != 200 || r.header.Get("X-Amz-Function-Error") != "Unhandled" {
				t.Fatalf("got %d, X-Amz-Function-Error %q; want 200, Unhandled", r.status, r.header.Get("X-Amz-Function-Error"))
			}
			var body struct {
				ErrorMessage string            `json:"errorMessage"`
				ErrorType    string            `json:"errorType"`
				StackTrace   []json.RawMessage `json:"stackTrace"`
			}
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
			if body.ErrorType != tc.wantType || !strings.Contains(body.ErrorMessage, tc.wantMessage) {
				t.Errorf("got %s: %s, want %s: %s", body.ErrorType, body.ErrorMessage, tc.wantType, tc.wantMessage)
			}
			if got := len(body.StackTrace) > 0; got != tc.wantStack {
				t.Errorf("stack trace present = %v, want %v", got, tc.wantStack)
			}
			log := decodeLog(t, r.header.Get("X-Amz-Log-Result"))
			if !strings.Contains(log, "\tStatus: "+tc.wantStatus+"\n") {
				t.Errorf("log does not report Status: %s:\n%s", tc.wantStatus, log)
			}
		})
	}
}

func decodeLog(t *testing.T, header string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		t.Fatalf("X-Amz-Log-Result %q is not base64: %v", header, err)
	}
	return string(b)
}

// The REPORT line as the real service writes it, matched independently of
// the parser in cloud/awslambda.
var reportRE = regexp.MustCompile(`(?m)^REPORT RequestId: ([0-9a-f-]{36})\tDuration: (\d+\.\d{2}) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB\t(?:Init Duration: (\d+\.\d{2}) ms\t)?(?:Status: \w+)?$`)

func TestLambdaLogAndColdStarts(t *testing.T) {
	env := newLambdaEnv(t, localcloud.WithKeepWarm(10*time.Minute))
	type call struct {
		function   string
		advance    time.Duration // clock moved before the call
		wantCold   bool
		wantReport []string // Duration, Billed, Memory Size, Init Duration ("" = absent)
	}
	tests := []struct {
		name  string
		calls []call
	}{
		{"cold then warm", []call{
			{"fiso-sample", 0, true, []string{"0.00", "1", "256", "120.50"}},
			{"fiso-sample", time.Minute, false, []string{"0.00", "1", "256", ""}},
		}},
		{"durations from the injected clock", []call{
			{"slow-12ms", 0, true, []string{"12.35", "13", "128", "0.00"}},
			{"slow-12ms", 0, false, []string{"12.35", "13", "128", ""}},
		}},
		{"idle instances are reclaimed", []call{
			{"counts", 0, true, nil},
			{"counts", 9 * time.Minute, false, nil},
			{"counts", 10 * time.Minute, true, nil},
		}},
		{"a panic kills the instance", []call{
			{"panics", 0, true, nil},
			{"panics", 0, true, nil},
		}},
		{"an error does not", []call{
			{"fails", 0, true, nil},
			{"fails", 0, false, nil},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i, c := range tc.calls {
				env.clock.Advance(c.advance)
				r := env.invoke(t, "POST", invokePath(c.function), map[string]string{"X-Amz-Log-Type": "Tail"}, `{}`)
				log := decodeLog(t, r.header.Get("X-Amz-Log-Result"))
				reqID := r.header.Get("X-Amzn-RequestId")
				if !strings.HasPrefix(log, "START RequestId: "+reqID+" Version: $LATEST\n") || !strings.Contains(log, "\nEND RequestId: "+reqID+"\n") {
					t.Fatalf("call %d: log lacks START/END for %s:\n%s", i, reqID, log)
				}
				m := reportRE.FindStringSubmatch(log)
				if m == nil {
					t.Fatalf("call %d: no REPORT line in the real format:\n%q", i, log)
				}
				if m[1] != reqID {
					t.Errorf("call %d: REPORT RequestId %s, want %s", i, m[1], reqID)
				}
				if cold := m[6] != ""; cold != c.wantCold {
					t.Errorf("call %d: cold start = %v, want %v:\n%s", i, cold, c.wantCold, log)
				}
				if c.wantReport != nil {
					got := []string{m[2], m[3], m[4], m[6]}
					if fmt.Sprint(got) != fmt.Sprint(c.wantReport) {
						t.Errorf("call %d: REPORT fields %q, want %q", i, got, c.wantReport)
					}
				}
			}
		})
	}
}

func TestLambdaConcurrentCallsStartSeveralInstances(t *testing.T) {
	api := localcloud.NewLambdaAPI()
	var arrived sync.WaitGroup
	arrived.Add(2)
	gate := make(chan struct{})
	err := api.Register("busy", localcloud.LambdaFunction{NewHandler: localcloud.HandlerOf(func(context.Context, json.RawMessage) (string, error) {
		arrived.Done()
		<-gate
		return "ok", nil
	})})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	env := &lambdaEnv{api: api, srv: srv}

	colds := make(chan bool, 3)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			r := env.invoke(t, "POST", invokePath("busy"), map[string]string{"X-Amz-Log-Type": "Tail"}, `{}`)
			colds <- strings.Contains(decodeLog(t, r.header.Get("X-Amz-Log-Result")), "Init Duration")
		})
	}
	arrived.Wait() // both run at once, so neither found an idle instance
	close(gate)
	wg.Wait()
	r := env.invoke(t, "POST", invokePath("busy"), map[string]string{"X-Amz-Log-Type": "Tail"}, `{}`)
	colds <- strings.Contains(decodeLog(t, r.header.Get("X-Amz-Log-Result")), "Init Duration")
	close(colds)
	var got []bool
	for c := range colds {
		got = append(got, c)
	}
	if fmt.Sprint(got) != "[true true false]" {
		t.Fatalf("cold starts %v, want [true true false]", got)
	}
}

func TestLambdaLogTailIsTheLast4KB(t *testing.T) {
	env := newLambdaEnv(t)
	r := env.invoke(t, "POST", invokePath("loud-error"), map[string]string{"X-Amz-Log-Type": "Tail"}, `{}`)
	log := decodeLog(t, r.header.Get("X-Amz-Log-Result"))
	if len(log) != 4096 {
		t.Fatalf("got %d bytes of log, want the last 4096", len(log))
	}
	if strings.HasPrefix(log, "START") || reportRE.FindString(log) == "" {
		t.Fatalf("the tail should lose START and keep REPORT:\n%s", log)
	}
}

func TestLambdaEventInvocation(t *testing.T) {
	env := newLambdaEnv(t)
	r := env.invoke(t, "POST", invokePath("counts"), map[string]string{"X-Amz-Invocation-Type": "Event", "X-Amz-Log-Type": "Tail"}, `{}`)
	if r.status != http.StatusAccepted || len(r.body) != 0 || r.header.Get("X-Amz-Log-Result") != "" {
		t.Fatalf("got %d %q log %q, want 202, empty, no log", r.status, r.body, r.header.Get("X-Amz-Log-Result"))
	}
	env.api.Wait()
	if got := env.events.Load(); got != 1 {
		t.Fatalf("the function ran %d times, want 1", got)
	}
}

func TestLambdaContextAndRegionFromSignature(t *testing.T) {
	env := newLambdaEnv(t)
	client := sdkClient(env.srv.URL)
	out, err := client.Invoke(context.Background(), &awslambda.InvokeInput{FunctionName: aws.String("whoami")}, func(o *awslambda.Options) {
		o.Region = "ap-southeast-2"
	})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(out.Payload, &got); err != nil {
		t.Fatal(err)
	}
	if got["arn"] != "arn:aws:lambda:ap-southeast-2:123456789012:function:whoami" || !uuidRE.MatchString(got["request_id"]) {
		t.Fatalf("the handler saw %v", got)
	}
}

func sdkClient(endpoint string) *awslambda.Client {
	return awslambda.New(awslambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// The SDK must turn the emulator's errors into its modelled error types,
// exactly as it does with the real service's.
func TestLambdaErrorsDeserializeInTheSDK(t *testing.T) {
	env := newLambdaEnv(t)
	client := sdkClient(env.srv.URL)
	tests := []struct {
		name    string
		in      *awslambda.InvokeInput
		wantErr any
		wantMsg string
	}{
		{"unknown function", &awslambda.InvokeInput{FunctionName: aws.String("nope")},
			new(*types.ResourceNotFoundException), "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"},
		{"unknown function by ARN", &awslambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:nope:live")},
			new(*types.ResourceNotFoundException), "function:nope:live"},
		{"not JSON", &awslambda.InvokeInput{FunctionName: aws.String("fiso-sample"), Payload: []byte("hello")},
			new(*types.InvalidRequestContentException), "Could not parse request body into json"},
		{"too large", &awslambda.InvokeInput{FunctionName: aws.String("fiso-sample"), Payload: bytes.Repeat([]byte("1"), localcloud.MaxLambdaPayload+1)},
			new(*types.RequestTooLargeException), "Request must be smaller"},
		{"qualifier mismatch", &awslambda.InvokeInput{FunctionName: aws.String("fiso-sample:live"), Qualifier: aws.String("$LATEST")},
			new(*types.InvalidParameterValueException), "does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.Invoke(context.Background(), tc.in)
			if err == nil || !errors.As(err, tc.wantErr) {
				t.Fatalf("got %v, want %T", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
		})
	}
}

func TestLambdaRegister(t *testing.T) {
	api := localcloud.NewLambdaAPI()
	h := localcloud.HandlerOf(sample.HandleLambda)
	tests := []struct {
		name    string
		fn      string
		handler func() lambda.Handler
		wantErr bool
	}{
		{"ok", "fiso-sample", h, false},
		{"bad name", "fiso sample", h, true},
		{"ARN is not a name", "arn:aws:lambda:us-east-1:123456789012:function:x", h, true},
		{"no handler", "x", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := api.Register(tc.fn, localcloud.LambdaFunction{NewHandler: tc.handler})
			if (err != nil) != tc.wantErr {
				t.Fatalf("got %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestLambdaRequestIDsFromInjectedRandom(t *testing.T) {
	api := localcloud.NewLambdaAPI(localcloud.WithRandom(bytes.NewReader(bytes.Repeat([]byte{0xab}, 64))))
	srv := httptest.NewServer(api)
	defer srv.Close()
	env := &lambdaEnv{api: api, srv: srv}
	r := env.invoke(t, "POST", invokePath("nope"), nil, `{}`)
	if got, want := r.header.Get("X-Amzn-RequestId"), "abababab-abab-4bab-abab-abababababab"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
