// Package localcloud runs FISO's clouds on loopback: an emulator of the AWS
// Lambda Invoke API and of the Azure Functions host in front of a custom
// handler. `fiso dev` and the end-to-end tests point the real adapters (the
// AWS SDK, the Azure HTTP client) at them, so what runs locally is the same
// code path as in production, down to the wire format: headers, error shapes,
// the base64 log tail with its REPORT line. Google Cloud Functions needs no
// emulator: its functions framework is itself the local runtime
// (functions/samples/gcp/cmd).
package localcloud

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Limits of the real service that the emulator enforces too.
const (
	// MaxLambdaPayload is the synchronous request and response limit.
	MaxLambdaPayload = 6 << 20
	// maxLambdaResponse is what Lambda reports as the response limit (its
	// 6 MB plus the envelope it allows for).
	maxLambdaResponse = 6291556
	// logTailBytes is how much of the log X-Amz-Log-Result carries.
	logTailBytes = 4096
)

// Defaults of a registered function, those of a new Lambda function.
const (
	DefaultLambdaMemoryMB = 128
	DefaultLambdaTimeout  = 3 * time.Second
	// DefaultKeepWarm is how long an idle instance stays warm. Real Lambda
	// reclaims idle instances after an unpublished few minutes to hours.
	DefaultKeepWarm = 15 * time.Minute
	// DefaultAccount is the emulator's AWS account ID.
	DefaultAccount = "123456789012"
)

// LambdaFunction is a function the emulator can invoke.
type LambdaFunction struct {
	// NewHandler builds the function's handler; typically
	//
	//	func() lambda.Handler { return lambda.NewHandler(sample.HandleLambda) }
	//
	// It runs once per instance, on its cold start, and its duration (on the
	// injected clock) is reported as Init Duration. One handler per instance
	// is what the real service has, one runtime process each, and it is also
	// a necessity: a handler from lambda.NewHandler returns its answer in a
	// pooled buffer that its next call reuses, so it must never serve two
	// invocations at once.
	NewHandler func() lambda.Handler
	// MemoryMB is reported as Memory Size; DefaultLambdaMemoryMB when 0.
	MemoryMB int
	// Timeout bounds one invocation; DefaultLambdaTimeout when 0.
	Timeout time.Duration
}

// HandlerOf is a LambdaFunction.NewHandler for a handler function of any of
// the signatures lambda.Start accepts.
func HandlerOf(handlerFunc any) func() lambda.Handler {
	return func() lambda.Handler { return lambda.NewHandler(handlerFunc) }
}

// LambdaAPI is an http.Handler that speaks the Lambda Invoke API
// (POST /2015-03-31/functions/{FunctionName}/invocations) for registered
// functions, in every region of one account.
//
// Each function has a pool of instances like real Lambda: an invocation that
// finds no idle warm instance starts a new one (a cold start: NewHandler runs,
// and the REPORT line has Init Duration), so concurrent calls cause several
// cold starts; an instance idle for longer than the keep-warm period is
// reclaimed; a panic or a timeout kills the instance it ran on.
//
// A client that hangs up cancels its invocation's context. Real Lambda would
// run on; locally, freeing the handler matters more.
type LambdaAPI struct {
	account  string
	now      func() time.Time
	random   io.Reader
	keepWarm time.Duration
	log      *slog.Logger

	mu  sync.Mutex
	fns map[string]*lambdaFn

	inflight sync.WaitGroup
}

type lambdaFn struct {
	LambdaFunction
	// idle holds the warm instances no invocation is using.
	idle []*instance
}

// instance is one execution environment: a handler and when it last ran.
type instance struct {
	handler  lambda.Handler
	lastUsed time.Time
}

// LambdaOption configures a LambdaAPI.
type LambdaOption func(*LambdaAPI)

// WithAccount sets the 12-digit account ID in ARNs (DefaultAccount).
func WithAccount(id string) LambdaOption { return func(a *LambdaAPI) { a.account = id } }

// WithClock replaces time.Now for the durations the REPORT line states and
// for keep-warm expiry. Function timeouts still run on real time.
func WithClock(now func() time.Time) LambdaOption { return func(a *LambdaAPI) { a.now = now } }

// WithRandom replaces crypto/rand as the source of request IDs.
func WithRandom(r io.Reader) LambdaOption { return func(a *LambdaAPI) { a.random = r } }

// WithKeepWarm sets how long an idle instance stays warm (DefaultKeepWarm).
func WithKeepWarm(d time.Duration) LambdaOption { return func(a *LambdaAPI) { a.keepWarm = d } }

// WithLogger receives the outcome of asynchronous (Event) invocations, which
// have no caller to report to. Discarded by default.
func WithLogger(l *slog.Logger) LambdaOption { return func(a *LambdaAPI) { a.log = l } }

// NewLambdaAPI returns an emulator with no functions.
func NewLambdaAPI(opts ...LambdaOption) *LambdaAPI {
	a := &LambdaAPI{
		account:  DefaultAccount,
		now:      time.Now,
		random:   rand.Reader,
		keepWarm: DefaultKeepWarm,
		log:      slog.New(slog.DiscardHandler),
		fns:      map[string]*lambdaFn{},
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Register adds (or replaces) function name. Replacing resets its instances.
func (a *LambdaAPI) Register(name string, fn LambdaFunction) error {
	if !lambdaNamePart.MatchString(name) {
		return fmt.Errorf("register Lambda function %q: the name must be 1-64 letters, digits, '-' or '_'", name)
	}
	if fn.NewHandler == nil {
		return fmt.Errorf("register Lambda function %q: no handler", name)
	}
	if fn.MemoryMB == 0 {
		fn.MemoryMB = DefaultLambdaMemoryMB
	}
	if fn.Timeout == 0 {
		fn.Timeout = DefaultLambdaTimeout
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fns[name] = &lambdaFn{LambdaFunction: fn}
	return nil
}

// Wait blocks until every invocation in flight has finished: asynchronous
// (Event) invocations, and handlers still running after their invocation
// timed out. Call it before shutting down a test.
func (a *LambdaAPI) Wait() { a.inflight.Wait() }

const invokePrefix, invokeSuffix = "/2015-03-31/functions/", "/invocations"

// ServeHTTP implements the Invoke operation.
func (a *LambdaAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := a.requestID()
	w.Header().Set("X-Amzn-RequestId", reqID)
	req, apiErr := a.parse(r)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	switch req.invocationType {
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		a.inflight.Add(1)
		go func() {
			defer a.inflight.Done()
			res := a.invoke(context.Background(), req.fn, req.arn, reqID, req.payload)
			if res.fnErr != nil {
				a.log.Warn("asynchronous Lambda invocation failed", "function", req.arn, "request_id", reqID,
					"error_type", res.fnErr.Type, "error_message", res.fnErr.Message)
			}
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	}

	res := a.invoke(r.Context(), req.fn, req.arn, reqID, req.payload)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", "$LATEST")
	if r.Header.Get("X-Amz-Log-Type") == "Tail" {
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(tail(res.log, logTailBytes)))
	}
	body := res.payload
	if res.fnErr != nil {
		h.Set("X-Amz-Function-Error", "Unhandled")
		body, _ = json.Marshal(res.fnErr)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// invokeRequest is a valid Invoke request for a registered function.
type invokeRequest struct {
	fn             *lambdaFn
	arn            string
	invocationType string
	payload        []byte
}

// parse checks an Invoke request in the order the service does (operation,
// signature, function, parameters, payload) and says what is wrong with it
// the way the service would.
func (a *LambdaAPI) parse(r *http.Request) (invokeRequest, *apiError) {
	escaped := r.URL.EscapedPath()
	if r.Method != http.MethodPost || !strings.HasPrefix(escaped, invokePrefix) || !strings.HasSuffix(escaped, invokeSuffix) ||
		len(escaped) <= len(invokePrefix)+len(invokeSuffix) {
		return invokeRequest{}, frontDoorError(http.StatusNotFound, "UnknownOperationException", "Unknown operation "+r.Method+" "+escaped)
	}
	region, ok := sigV4Region(r.Header.Get("Authorization"))
	if !ok {
		return invokeRequest{}, frontDoorError(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	rawName, err := url.PathUnescape(escaped[len(invokePrefix) : len(escaped)-len(invokeSuffix)])
	if err != nil {
		return invokeRequest{}, userError(http.StatusBadRequest, "InvalidParameterValueException", "message", "the function name is not a valid URL path segment")
	}
	ref, err := ParseFunctionName(rawName)
	if err != nil {
		return invokeRequest{}, userError(http.StatusBadRequest, "InvalidParameterValueException", "message", err.Error())
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		switch {
		case !lambdaQualifierPart.MatchString(q):
			return invokeRequest{}, userError(http.StatusBadRequest, "InvalidParameterValueException", "message",
				"the qualifier must be $LATEST, a version or an alias")
		case ref.Qualifier != "" && ref.Qualifier != q:
			return invokeRequest{}, userError(http.StatusBadRequest, "InvalidParameterValueException", "message",
				"The derived qualifier from the function name does not match the specified qualifier.")
		}
		ref.Qualifier = q
	}
	fn := a.lookup(ref, region)
	if fn == nil {
		return invokeRequest{}, userError(http.StatusNotFound, "ResourceNotFoundException", "Message", "Function not found: "+ref.ARN(region, a.account))
	}
	invocationType := r.Header.Get("X-Amz-Invocation-Type")
	switch invocationType {
	case "", "RequestResponse", "Event", "DryRun":
	default:
		return invokeRequest{}, userError(http.StatusBadRequest, "InvalidParameterValueException", "message",
			"1 validation error detected: Value '"+invocationType+"' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, MaxLambdaPayload+1))
	if err != nil {
		return invokeRequest{}, userError(http.StatusBadRequest, "InvalidRequestContentException", "message", "Could not read the request body")
	}
	if len(payload) > MaxLambdaPayload {
		return invokeRequest{}, userError(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "message",
			fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxLambdaPayload))
	}
	if len(bytes.TrimSpace(payload)) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		return invokeRequest{}, userError(http.StatusBadRequest, "InvalidRequestContentException", "message",
			"Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value")
	}
	return invokeRequest{fn: fn, arn: ref.ARN(region, a.account), invocationType: invocationType, payload: payload}, nil
}

// lookup finds the function ref names, as seen from region. Functions exist
// in every region of the emulator's account, at $LATEST only.
func (a *LambdaAPI) lookup(ref FunctionRef, region string) *lambdaFn {
	if (ref.Region != "" && ref.Region != region) || (ref.Account != "" && ref.Account != a.account) {
		return nil
	}
	if ref.Qualifier != "" && ref.Qualifier != "$LATEST" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fns[ref.Name]
}

type invocation struct {
	payload []byte
	fnErr   *messages.InvokeResponse_Error
	log     []byte
}

// invoke runs one invocation on a warm instance if one is idle, else on a new
// one, and writes the log the real service would.
func (a *LambdaAPI) invoke(ctx context.Context, fn *lambdaFn, arn, reqID string, payload []byte) invocation {
	inst := a.acquire(fn)
	var initDuration time.Duration
	cold := inst == nil
	if cold {
		initStart := a.now()
		inst = &instance{handler: fn.NewHandler()}
		initDuration = a.now().Sub(initStart)
	}
	start := a.now()

	ctx, cancel := context.WithTimeout(ctx, fn.Timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: reqID, InvokedFunctionArn: arn})

	type outcome struct {
		payload  []byte
		fnErr    *messages.InvokeResponse_Error
		panicked bool
	}
	done := make(chan outcome, 1)
	a.inflight.Add(1)
	go func() {
		defer a.inflight.Done()
		defer func() {
			if v := recover(); v != nil {
				done <- outcome{fnErr: panicResponse(v), panicked: true}
			}
		}()
		out, err := inst.handler.Invoke(ctx, payload)
		if err != nil {
			done <- outcome{fnErr: errorResponse(err)}
			return
		}
		// The answer may live in the handler's reusable buffer: copy it
		// before the instance can take another invocation.
		done <- outcome{payload: bytes.Clone(out)}
	}()

	var res invocation
	var status string
	alive := true
	select {
	case o := <-done:
		res.payload, res.fnErr = o.payload, o.fnErr
		alive = !o.panicked // a panic ends the runtime process
	case <-ctx.Done():
		// The instance is still busy with the abandoned handler: never reuse it.
		alive = false
		status = "timeout"
		res.fnErr = &messages.InvokeResponse_Error{
			Type:    "Sandbox.Timedout",
			Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", reqID, fn.Timeout.Seconds()),
		}
	}
	if res.fnErr == nil && len(res.payload) > maxLambdaResponse {
		res.payload = nil
		res.fnErr = &messages.InvokeResponse_Error{
			Type:    "Function.ResponseSizeTooLarge",
			Message: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxLambdaResponse),
		}
	}
	end := a.now()
	if alive {
		inst.lastUsed = end
		a.release(fn, inst)
	}
	if res.fnErr != nil && status == "" {
		status = "error"
	}
	res.log = a.report(fn, reqID, end.Sub(start), cold, initDuration, res.fnErr, status, end)
	return res
}

// acquire takes an idle warm instance, or returns nil when a new one must
// start, reclaiming instances idle for longer than the keep-warm period.
func (a *LambdaAPI) acquire(fn *lambdaFn) *instance {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	warm := fn.idle[:0]
	for _, inst := range fn.idle {
		if now.Sub(inst.lastUsed) < a.keepWarm {
			warm = append(warm, inst)
		}
	}
	clear(fn.idle[len(warm):])
	fn.idle = warm
	if len(fn.idle) == 0 {
		return nil
	}
	inst := fn.idle[len(fn.idle)-1]
	fn.idle = fn.idle[:len(fn.idle)-1]
	return inst
}

func (a *LambdaAPI) release(fn *lambdaFn, inst *instance) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn.idle = append(fn.idle, inst)
}

// report writes the invocation's log: START, the runtime's error line if
// any, END and REPORT, in the real service's format.
func (a *LambdaAPI) report(fn *lambdaFn, reqID string, d time.Duration, cold bool, initDuration time.Duration, fnErr *messages.InvokeResponse_Error, status string, end time.Time) []byte {
	ms := millis(d)
	billed := int64(math.Ceil(ms))
	if billed < 1 {
		billed = 1
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "START RequestId: %s Version: $LATEST\n", reqID)
	if fnErr != nil {
		line, _ := json.Marshal(fnErr)
		fmt.Fprintf(&b, "%s %s\n", end.UTC().Format("2006/01/02 15:04:05"), line)
	}
	fmt.Fprintf(&b, "END RequestId: %s\n", reqID)
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		reqID, ms, billed, fn.MemoryMB, maxMemoryUsedMB(fn.MemoryMB))
	if cold {
		fmt.Fprintf(&b, "Init Duration: %.2f ms\t", millis(initDuration))
	}
	if status != "" {
		fmt.Fprintf(&b, "Status: %s", status)
	}
	b.WriteString("\n")
	return b.Bytes()
}

// millis is d in milliseconds; never negative, whatever the injected clock did.
func millis(d time.Duration) float64 {
	return float64(max(d, 0)) / float64(time.Millisecond)
}

// maxMemoryUsedMB approximates Max Memory Used by the process's live heap,
// never more than the function's memory size: an emulated function has no
// memory of its own to measure.
func maxMemoryUsedMB(limit int) int {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	mb := 1
	if s[0].Value.Kind() == metrics.KindUint64 {
		mb = max(1, int(s[0].Value.Uint64()>>20))
	}
	return min(mb, limit)
}

// requestID returns a random UUID, the form of Lambda's request IDs.
func (a *LambdaAPI) requestID() string {
	var u [16]byte
	if _, err := io.ReadFull(a.random, u[:]); err != nil {
		// An exhausted injected source still yields a well-formed ID.
		clear(u[:])
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// errorResponse is what the Go runtime reports for a handler's error: its
// type name and message, or the error itself when the handler returned the
// runtime's own error type.
func errorResponse(err error) *messages.InvokeResponse_Error {
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return &ive
	}
	return &messages.InvokeResponse_Error{Type: typeName(err), Message: err.Error()}
}

// panicResponse is what the Go runtime reports for a panic: the panic value's
// type and message, with the stack of the panicking goroutine. It must be
// called from the deferred function that recovered.
func panicResponse(v any) *messages.InvokeResponse_Error {
	pcs := make([]uintptr, 32)
	// Skip runtime.Callers, panicResponse and the deferred function.
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var stack []*messages.InvokeResponse_Error_StackFrame
	for {
		f, more := frames.Next()
		stack = append(stack, &messages.InvokeResponse_Error_StackFrame{Path: f.File, Line: int32(f.Line), Label: f.Function})
		if !more {
			break
		}
	}
	return &messages.InvokeResponse_Error{Type: typeName(v), Message: fmt.Sprintf("%v", v), StackTrace: stack}
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil"
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

// sigV4Region checks that the request is SigV4-signed (presence and shape
// only; the emulator holds no secret keys to verify signatures with) and
// returns the region of its credential scope.
func sigV4Region(auth string) (string, bool) {
	const algo = "AWS4-HMAC-SHA256 "
	if !strings.HasPrefix(auth, algo) {
		return "", false
	}
	for _, part := range strings.Split(strings.TrimPrefix(auth, algo), ",") {
		cred, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential=")
		if !ok {
			continue
		}
		// AKID/DATE/REGION/SERVICE/aws4_request
		scope := strings.Split(cred, "/")
		if len(scope) == 5 && scope[2] != "" && scope[3] == "lambda" && scope[4] == "aws4_request" {
			return scope[2], true
		}
	}
	return "", false
}

// apiError is an error answer of the Lambda API: the error code travels in
// X-Amzn-ErrorType, the message in the JSON body.
type apiError struct {
	status int
	code   string
	body   map[string]string
}

// userError is a Lambda service error as the service writes it: a body with
// Type "User" and the message under the member name the API model gives it
// ("Message" or "message", which the SDK's deserializer tells apart).
func userError(status int, code, messageMember, message string) *apiError {
	return &apiError{status, code, map[string]string{"Type": "User", messageMember: message}}
}

// frontDoorError is an error of AWS's front door, before the request reaches
// the Lambda service: no Type member.
func frontDoorError(status int, code, message string) *apiError {
	return &apiError{status, code, map[string]string{"message": message}}
}

func (e *apiError) write(w http.ResponseWriter) {
	b, _ := json.Marshal(e.body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	w.Write(b)
}

// tail returns the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[len(b)-n:]
}
