package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/route"
)

// fakeConfig is an in-memory Config.
type fakeConfig struct {
	functions map[string]catalog.Function
	policies  map[string]policy.Policy
	defaultFn string
}

func (c *fakeConfig) GetFunction(_ context.Context, name string) (catalog.Function, error) {
	f, ok := c.functions[name]
	if !ok {
		return f, fault.NotFound("function %q does not exist", name)
	}
	return f, nil
}

func (c *fakeConfig) GetPolicy(_ context.Context, name string) (policy.Policy, error) {
	p, ok := c.policies[name]
	if !ok {
		return p, fault.NotFound("policy %q does not exist", name)
	}
	return p, nil
}

func (c *fakeConfig) DefaultFunction(context.Context) (string, error) {
	if c.defaultFn == "" {
		return "", fault.NotFound("no default function")
	}
	return c.defaultFn, nil
}

type fakeRecorder struct {
	mu   sync.Mutex
	recs []invocation.Record
	err  error
	ctxs []error
}

func (r *fakeRecorder) PutInvocation(ctx context.Context, rec invocation.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	r.ctxs = append(r.ctxs, ctx.Err())
	return r.err
}

// fakeInvoker answers per deployment ID from a script.
type fakeInvoker struct {
	mu      sync.Mutex
	answers map[string]func(ctx context.Context) (cloud.Response, error)
	calls   map[string]int
}

func (f *fakeInvoker) Invoke(ctx context.Context, d catalog.Deployment, payload []byte) (cloud.Response, error) {
	f.mu.Lock()
	f.calls[d.ID]++
	a := f.answers[d.ID]
	f.mu.Unlock()
	if a == nil {
		return cloud.Response{Body: []byte(`{"from":"` + d.ID + `"}`), StatusCode: 200}, nil
	}
	return a(ctx)
}

func (f *fakeInvoker) count(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

func failWith(kind cloud.Kind) func(context.Context) (cloud.Response, error) {
	return func(context.Context) (cloud.Response, error) {
		return cloud.Response{}, &cloud.Error{Kind: kind, Detail: "scripted " + string(kind)}
	}
}

func hang(ctx context.Context) (cloud.Response, error) {
	<-ctx.Done()
	return cloud.Response{}, cloud.Classify(ctx.Err(), "POST fake")
}

var monday = time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC)

type fixture struct {
	svc *Service
	inv *fakeInvoker
	rec *fakeRecorder
	cfg *fakeConfig
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	f := catalog.Function{Name: "sample", ActivePolicy: "saver", Deployments: []catalog.Deployment{
		{ID: "aws", Provider: catalog.AWS, Region: "us-east-1", Target: "fiso-sample"},
		{ID: "gcp", Provider: catalog.GCP, Region: "us-central1", Target: "https://g.example/"},
		{ID: "azure", Provider: catalog.Azure, Region: "eastus", Target: "https://a.example/api/sample"},
	}}
	cfg := &fakeConfig{
		functions: map[string]catalog.Function{"sample": f},
		policies: map[string]policy.Policy{"saver": {Name: "saver", Function: "sample", Strategy: policy.Static,
			DefaultProvider: catalog.AWS, Failover: []catalog.Provider{catalog.GCP, catalog.Azure}, IsActive: true}},
		defaultFn: "sample",
	}
	inv := &fakeInvoker{answers: map[string]func(context.Context) (cloud.Response, error){}, calls: map[string]int{}}
	rec := &fakeRecorder{}
	if opts.Now == nil {
		opts.Now = func() time.Time { return monday }
	}
	n := 0
	opts.NewID = func() string { n++; return "ID" + string(rune('A'+n)) }
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	invokers := map[catalog.Provider]Invoker{catalog.AWS: inv, catalog.GCP: inv, catalog.Azure: inv}
	return &fixture{svc: New(cfg, rec, route.NewRouter(nil), invokers, opts), inv: inv, rec: rec, cfg: cfg}
}

func outcomes(rec invocation.Record) []string {
	var out []string
	for _, a := range rec.Attempts {
		out = append(out, a.DeploymentID+":"+string(a.Outcome))
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestInvokeRoutesAndFailsOver(t *testing.T) {
	tests := []struct {
		name     string
		script   map[string]func(context.Context) (cloud.Response, error)
		want     []string
		provider catalog.Provider
		status   int
		allFail  bool
		timedOut bool
	}{
		{"default provider answers", nil, []string{"aws:ok"}, catalog.AWS, 200, false, false},
		{"unreachable fails over", map[string]func(context.Context) (cloud.Response, error){"aws": failWith(cloud.Unreachable)},
			[]string{"aws:error", "gcp:ok"}, catalog.GCP, 200, false, false},
		{"function error fails over", map[string]func(context.Context) (cloud.Response, error){"aws": failWith(cloud.FunctionError), "gcp": failWith(cloud.Throttled)},
			[]string{"aws:error", "gcp:error", "azure:ok"}, catalog.Azure, 200, false, false},
		{"passed-through 4xx is an answer", map[string]func(context.Context) (cloud.Response, error){"aws": func(context.Context) (cloud.Response, error) {
			return cloud.Response{StatusCode: 422, Body: []byte(`{}`)}, nil
		}}, []string{"aws:ok"}, catalog.AWS, 422, false, false},
		{"all fail", map[string]func(context.Context) (cloud.Response, error){"aws": failWith(cloud.Unreachable), "gcp": failWith(cloud.Rejected), "azure": hang},
			[]string{"aws:error", "gcp:error", "azure:timeout"}, catalog.Azure, 502, true, false},
		{"all time out", map[string]func(context.Context) (cloud.Response, error){"aws": hang, "gcp": hang, "azure": hang},
			[]string{"aws:timeout", "gcp:timeout", "azure:timeout"}, catalog.Azure, 504, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, Options{AttemptTimeout: 20 * time.Millisecond})
			for k, v := range tc.script {
				fx.inv.answers[k] = v
			}
			res, err := fx.svc.Invoke(context.Background(), Call{Function: "sample", Payload: []byte(`{"a":1}`), KeyID: "k1", Team: "payments", UserRegion: "eu-west-1"})
			var afe *AllFailedError
			if got := errors.As(err, &afe); got != tc.allFail {
				t.Fatalf("err = %v, want AllFailedError: %v", err, tc.allFail)
			}
			if tc.allFail && afe.TimedOut != tc.timedOut {
				t.Errorf("TimedOut = %v, want %v", afe.TimedOut, tc.timedOut)
			}
			rec := res.Record
			if !equal(outcomes(rec), tc.want) {
				t.Errorf("attempts = %v, want %v", outcomes(rec), tc.want)
			}
			if rec.Provider != tc.provider || rec.StatusCode != tc.status {
				t.Errorf("provider, status = %s, %d; want %s, %d", rec.Provider, rec.StatusCode, tc.provider, tc.status)
			}
			if len(fx.rec.recs) != 1 || fx.rec.recs[0].ID != rec.ID {
				t.Fatalf("recorded %d records, want exactly the returned one", len(fx.rec.recs))
			}
			if rec.ErrorOccurred != (tc.status >= 400) {
				t.Errorf("error_occurred = %v for status %d", rec.ErrorOccurred, tc.status)
			}
		})
	}
}

func TestRecordFields(t *testing.T) {
	fx := newFixture(t, Options{Retention: 48 * time.Hour})
	cold := true
	fx.inv.answers["aws"] = func(context.Context) (cloud.Response, error) {
		return cloud.Response{Body: []byte(`{"ok":true}`), StatusCode: 200, ColdStart: &cold}, nil
	}
	res, err := fx.svc.Invoke(context.Background(), Call{Function: "sample", Payload: []byte(`{"a":1}`), KeyID: "k1", Team: "payments", UserRegion: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Record
	checks := []struct {
		name      string
		got, want any
	}{
		{"function", r.FunctionName, "sample"},
		{"timestamp", r.Timestamp, monday},
		{"day_of_week (Monday=0)", r.DayOfWeek, 0},
		{"hour_of_day", r.HourOfDay, 14},
		{"request size", r.RequestSizeBytes, 7},
		{"response size", r.ResponseSizeBytes, 11},
		{"region", r.Region, "us-east-1"},
		{"deployment", r.DeploymentID, "aws"},
		{"key", r.KeyID, "k1"},
		{"team", r.Team, "payments"},
		{"user region", r.UserRegion, "eu-west-1"},
		{"cold start", r.ColdStart != nil && *r.ColdStart, true},
		{"policy", r.Decision.Policy, "saver"},
		{"candidates", len(r.Decision.Candidates), 3},
		{"expires", r.ExpiresAt, monday.Add(48 * time.Hour)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(c *fakeConfig)
		function string
		want     error
		first    string
	}{
		{"default function", func(c *fakeConfig) {}, "", nil, "aws"},
		{"no default yet", func(c *fakeConfig) { c.defaultFn = "" }, "", fault.ErrConflict, ""},
		{"default function's policy deactivated", func(c *fakeConfig) {
			f := c.functions["sample"]
			f.ActivePolicy = ""
			c.functions["sample"] = f
		}, "", fault.ErrConflict, ""},
		{"unknown function", func(c *fakeConfig) {}, "nope", fault.ErrNotFound, ""},
		{"active policy vanished: declared order", func(c *fakeConfig) { delete(c.policies, "saver") }, "sample", nil, "aws"},
		{"no policy: declared order", func(c *fakeConfig) {
			f := c.functions["sample"]
			f.ActivePolicy = ""
			f.Deployments[0], f.Deployments[1] = f.Deployments[1], f.Deployments[0]
			c.functions["sample"] = f
		}, "sample", nil, "gcp"},
		{"policy leaves nothing to try", func(c *fakeConfig) {
			p := c.policies["saver"]
			p.DefaultProvider, p.Failover = catalog.Provider("aws"), []catalog.Provider{catalog.GCP}
			c.policies["saver"] = p
			f := c.functions["sample"]
			f.Deployments = f.Deployments[2:]
			c.functions["sample"] = f
		}, "sample", fault.ErrConflict, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, Options{})
			tc.edit(fx.cfg)
			res, err := fx.svc.Invoke(context.Background(), Call{Function: tc.function})
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if len(fx.rec.recs) != 0 {
					t.Errorf("recorded %d invocations for a call that routed nowhere", len(fx.rec.recs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Record.Attempts[0].DeploymentID; got != tc.first {
				t.Errorf("first attempt = %s, want %s", got, tc.first)
			}
		})
	}
}

func TestBreakerSkipsAndStillTriesLast(t *testing.T) {
	fx := newFixture(t, Options{BreakerFailures: 2, BreakerCooldown: time.Hour})
	fx.inv.answers["aws"] = failWith(cloud.Unreachable)
	for i := 0; i < 2; i++ {
		if _, err := fx.svc.Invoke(context.Background(), Call{Function: "sample"}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := fx.svc.Invoke(context.Background(), Call{Function: "sample"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"aws:skipped", "gcp:ok"}; !equal(outcomes(res.Record), want) {
		t.Errorf("with aws's circuit open: attempts = %v, want %v", outcomes(res.Record), want)
	}
	if fx.inv.calls["aws"] != 2 {
		t.Errorf("aws called %d times, want 2 (the third call skipped it)", fx.inv.calls["aws"])
	}
	// With every other deployment down too, the open circuit is still tried.
	fx.inv.answers["gcp"] = failWith(cloud.Unreachable)
	fx.inv.answers["azure"] = failWith(cloud.Unreachable)
	fx.inv.answers["aws"] = nil
	res, err = fx.svc.Invoke(context.Background(), Call{Function: "sample"})
	if err != nil {
		t.Fatalf("last resort: %v", err)
	}
	if want := []string{"aws:skipped", "gcp:error", "azure:error", "aws:ok"}; !equal(outcomes(res.Record), want) {
		t.Errorf("last resort attempts = %v, want %v", outcomes(res.Record), want)
	}
}

func TestFunctionErrorsDoNotOpenTheCircuit(t *testing.T) {
	fx := newFixture(t, Options{BreakerFailures: 1, BreakerCooldown: time.Hour})
	fx.inv.answers["aws"] = failWith(cloud.FunctionError)
	for i := 0; i < 3; i++ {
		res, _ := fx.svc.Invoke(context.Background(), Call{Function: "sample"})
		if got := res.Record.Attempts[0].Outcome; got != invocation.Failed {
			t.Fatalf("call %d: aws outcome %s, want error (sent, not skipped)", i, got)
		}
	}
}

func TestCallerGoneIsRecorded(t *testing.T) {
	fx := newFixture(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	fx.inv.answers["aws"] = func(c context.Context) (cloud.Response, error) { cancel(); return hang(c) }
	_, err := fx.svc.Invoke(ctx, Call{Function: "sample"})
	var afe *AllFailedError
	if !errors.As(err, &afe) {
		t.Fatalf("err = %v, want AllFailedError", err)
	}
	if afe.Record.StatusCode != StatusClientClosed || len(afe.Record.Attempts) != 1 {
		t.Errorf("status %d with %d attempts, want %d with 1", afe.Record.StatusCode, len(afe.Record.Attempts), StatusClientClosed)
	}
	if len(fx.rec.recs) != 1 || fx.rec.ctxs[0] != nil {
		t.Errorf("record written %d times with ctx err %v; want once with a live context", len(fx.rec.recs), fx.rec.ctxs)
	}
}

func TestLogWriteFailureDoesNotFailTheCall(t *testing.T) {
	fx := newFixture(t, Options{})
	fx.rec.err = errors.New("throttled")
	if _, err := fx.svc.Invoke(context.Background(), Call{Function: "sample"}); err != nil {
		t.Fatalf("Invoke = %v, want the function's answer despite the log failure", err)
	}
}

func TestProviderWithoutInvoker(t *testing.T) {
	fx := newFixture(t, Options{})
	delete(fx.svc.invokers, catalog.AWS)
	res, err := fx.svc.Invoke(context.Background(), Call{Function: "sample"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"aws:error", "gcp:ok"}; !equal(outcomes(res.Record), want) {
		t.Errorf("attempts = %v, want %v", outcomes(res.Record), want)
	}
}

// While a half-open circuit's one trial call is in flight, other calls to
// the same deployment are refused by the breaker; they must still be tried
// (last), not turned into a 502 for a deployment that is up.
func TestHalfOpenCircuitDoesNotFailConcurrentCalls(t *testing.T) {
	fx := newFixture(t, Options{BreakerFailures: 1, BreakerCooldown: 30 * time.Millisecond})
	p := fx.cfg.policies["saver"]
	p.Failover = []catalog.Provider{catalog.AWS} // aws is the only deployment tried
	fx.cfg.policies["saver"] = p
	fx.inv.answers["aws"] = failWith(cloud.Unreachable)
	if _, err := fx.svc.Invoke(context.Background(), Call{Function: "sample"}); err == nil {
		t.Fatal("the failing call succeeded")
	}
	time.Sleep(40 * time.Millisecond) // open -> half-open
	release := make(chan struct{})
	fx.inv.answers["aws"] = func(context.Context) (cloud.Response, error) {
		<-release
		return cloud.Response{StatusCode: 200, Body: []byte(`{}`)}, nil
	}
	trial := make(chan error, 1)
	go func() { _, err := fx.svc.Invoke(context.Background(), Call{Function: "sample"}); trial <- err }()
	for fx.inv.count("aws") < 2 { // the trial call is in flight
		time.Sleep(time.Millisecond)
	}
	second := make(chan Result, 1)
	go func() {
		res, err := fx.svc.Invoke(context.Background(), Call{Function: "sample"})
		if err != nil {
			t.Errorf("concurrent call during the trial: %v", err)
		}
		second <- res
	}()
	time.Sleep(20 * time.Millisecond)
	close(release)
	if err := <-trial; err != nil {
		t.Fatalf("trial call: %v", err)
	}
	res := <-second
	if want := []string{"aws:skipped", "aws:ok"}; !equal(outcomes(res.Record), want) {
		t.Errorf("attempts = %v, want %v", outcomes(res.Record), want)
	}
}

// fakePricer charges 1 µ$ per billed millisecond, so a test can tell which
// duration was priced.
type fakePricer struct{ fail map[string]bool }

func (f fakePricer) Price(_ context.Context, d catalog.Deployment, u pricing.Usage) (pricing.Cost, error) {
	if f.fail[d.ID] {
		return pricing.Cost{}, fmt.Errorf("%w for %s", pricing.ErrNoCard, d.ID)
	}
	ms := math.Ceil(u.DurationMs)
	return pricing.Cost{BilledDurationMs: ms, BilledMemoryMB: max(u.ObservedMemoryMB, 128), TotalUSD: ms * 1e-6, CardVersion: "v-" + d.ID}, nil
}

func TestAttemptsArePriced(t *testing.T) {
	reported := func(context.Context) (cloud.Response, error) {
		return cloud.Response{StatusCode: 200, Body: []byte(`{}`), BilledDurationMs: 7, MaxMemoryUsedMB: 40}, nil
	}
	functionError := func(context.Context) (cloud.Response, error) {
		return cloud.Response{StatusCode: 200, BilledDurationMs: 3}, &cloud.Error{Kind: cloud.FunctionError, Detail: "boom"}
	}
	tests := []struct {
		name         string
		script       map[string]func(context.Context) (cloud.Response, error)
		fail         map[string]bool
		wantCost     *float64
		wantSource   string
		wantUnpriced bool
		wantNote     string
	}{
		{"provider-reported duration", map[string]func(context.Context) (cloud.Response, error){"aws": reported},
			nil, ptr(7e-6), invocation.CostReported, false, ""},
		{"computed from the round trip", nil, nil, ptr(1e-6), invocation.CostComputed, false, ""},
		{"a function error is billed, an unreachable cloud is not", map[string]func(context.Context) (cloud.Response, error){
			"aws": functionError, "gcp": failWith(cloud.Unreachable), "azure": reported},
			nil, ptr(3e-6 + 7e-6), invocation.CostReported, false, ""},
		{"a later unreachable attempt keeps the billed one's details", map[string]func(context.Context) (cloud.Response, error){
			"aws": functionError, "gcp": failWith(cloud.Unreachable), "azure": failWith(cloud.Throttled)},
			nil, ptr(3e-6), invocation.CostReported, false, ""},
		{"nothing reached a function: it costs nothing", map[string]func(context.Context) (cloud.Response, error){
			"aws": failWith(cloud.Unreachable), "gcp": failWith(cloud.Unreachable), "azure": failWith(cloud.Rejected)},
			nil, ptr(0.0), "", false, ""},
		{"no rate card", nil, map[string]bool{"aws": true}, ptr(0.0), "", true, "no rate card for aws"},
		{"a timeout may be billed", map[string]func(context.Context) (cloud.Response, error){"aws": failWith(cloud.Timeout)},
			nil, ptr(1e-6), invocation.CostComputed, true, "timed out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := monday
			fx := newFixture(t, Options{Pricer: fakePricer{fail: tc.fail}, Now: func() time.Time {
				clock = clock.Add(500 * time.Microsecond) // every reading advances: measured round trips are ~1 ms
				return clock
			}})
			for k, v := range tc.script {
				fx.inv.answers[k] = v
			}
			res, _ := fx.svc.Invoke(context.Background(), Call{Function: "sample"})
			r := res.Record
			switch {
			case tc.wantCost == nil && r.CostUSD != nil:
				t.Errorf("cost = %v, want none", *r.CostUSD)
			case tc.wantCost != nil && (r.CostUSD == nil || math.Abs(*r.CostUSD-*tc.wantCost) > 1e-12):
				t.Errorf("cost = %v, want %v", fmtCost(r.CostUSD), *tc.wantCost)
			}
			if r.CostSource != tc.wantSource || r.Unpriced != tc.wantUnpriced || !strings.Contains(r.CostNote, tc.wantNote) || (tc.wantNote == "" && r.CostNote != "") {
				t.Errorf("source %q unpriced %v note %q; want source %q, unpriced %v, note with %q", r.CostSource, r.Unpriced, r.CostNote, tc.wantSource, tc.wantUnpriced, tc.wantNote)
			}
			if tc.wantSource != "" && (r.RateCardVersion == "" || r.BilledDurationMs == 0) {
				t.Errorf("a priced record lacks its card version or billed duration: %+v", r)
			}
			for _, a := range r.Attempts {
				if a.CostUSD != nil && (a.RateCardVersion == "" || a.CostSource == "") {
					t.Errorf("priced attempt %s lacks its card or source", a.DeploymentID)
				}
			}
			if len(fx.rec.recs) != 1 || !reflect.DeepEqual(fx.rec.recs[0].CostUSD, r.CostUSD) {
				t.Error("the logged record's cost differs from the returned one")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func fmtCost(c *float64) string {
	if c == nil {
		return "nil"
	}
	return strconv.FormatFloat(*c, 'g', -1, 64)
}
