// Package orchestrator carries out one invocation: it finds the function and
// its active policy, asks the router for an order of deployments, calls them
// in turn until one answers, and records what happened in the invocation log.
package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/sony/gobreaker/v2"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/estimate"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/route"
)

// Config is where the orchestrator reads functions and policies. The control
// plane hands it a cached store, so a warm call reads nothing.
type Config interface {
	GetFunction(ctx context.Context, name string) (catalog.Function, error)
	GetPolicy(ctx context.Context, name string) (policy.Policy, error)
	DefaultFunction(ctx context.Context) (string, error)
}

// Recorder writes the invocation log.
type Recorder interface {
	PutInvocation(ctx context.Context, r invocation.Record) error
}

// Invoker calls one deployment on one cloud.
type Invoker interface {
	Invoke(ctx context.Context, d catalog.Deployment, payload []byte) (cloud.Response, error)
}

// Planner orders a function's deployments for one call.
type Planner interface {
	Plan(req route.Request) (route.Plan, error)
}

// Pricer prices one invocation of a deployment at list price.
type Pricer interface {
	Price(ctx context.Context, d catalog.Deployment, u pricing.Usage) (pricing.Cost, error)
}

// Estimator predicts each deployment's latency, cold-start risk and cost
// before a call, and learns from every attempt.
type Estimator interface {
	Estimate(ctx context.Context, f catalog.Function, q estimate.Query) map[string]route.Estimate
	Observe(function string, d catalog.Deployment, o estimate.Observation)
}

// Options tune the service. Zero values take the defaults.
type Options struct {
	// AttemptTimeout bounds each attempt (default 10s); the caller's context
	// bounds the whole call.
	AttemptTimeout time.Duration
	// Retention is how long invocation records are kept (default 30 days).
	Retention time.Duration
	// BreakerFailures is how many consecutive infrastructure failures open a
	// deployment's circuit (default 5); BreakerCooldown is how long it stays
	// open before one trial call (default 30s).
	BreakerFailures uint32
	BreakerCooldown time.Duration
	Now             func() time.Time
	NewID           func() string
	Logger          *slog.Logger
	// Pricer prices attempts; without one, records carry no cost.
	Pricer Pricer
	// Estimator feeds the strategies that weigh predictions (all but
	// static); without one they see every deployment as unknown.
	Estimator Estimator
	// Rand draws in [0, 1) for A/B splits and exploration (default
	// math/rand/v2's Float64).
	Rand func() float64
	// Budgets holds calls to the budgets that apply to them; without it no
	// budget is enforced.
	Budgets Budgets
}

// Service orchestrates invocations.
type Service struct {
	config   Config
	recorder Recorder
	invokers map[catalog.Provider]Invoker
	planner  Planner
	opts     Options
	breakers sync.Map // breaker key -> *gobreaker.CircuitBreaker[cloud.Response]
}

// New builds a Service. invokers maps each provider to its adapter; a
// provider without one fails its attempts with a clear error.
func New(config Config, recorder Recorder, planner Planner, invokers map[catalog.Provider]Invoker, opts Options) *Service {
	if opts.AttemptTimeout <= 0 {
		opts.AttemptTimeout = 10 * time.Second
	}
	if opts.Retention <= 0 {
		opts.Retention = 30 * 24 * time.Hour
	}
	if opts.BreakerFailures == 0 {
		opts.BreakerFailures = 5
	}
	if opts.BreakerCooldown <= 0 {
		opts.BreakerCooldown = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = func() string { return ulid.Make().String() }
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	return &Service{config: config, recorder: recorder, planner: planner, invokers: invokers, opts: opts}
}

// Call is one invocation request.
type Call struct {
	// Function to invoke; empty means the default function (the function of
	// the most recently activated policy, as the seed's /api/v1/orchestrate).
	Function   string
	Payload    []byte
	KeyID      string
	Team       string
	UserRegion string
	Tags       map[string]string
}

// Result is a successful invocation: the function's response and the record
// written to the log.
type Result struct {
	Response cloud.Response
	Record   invocation.Record
}

// AllFailedError is returned when no deployment answered. Record is what was
// logged, with every attempt.
type AllFailedError struct {
	Record invocation.Record
	// TimedOut is true when every attempt that was sent ran out of time.
	TimedOut bool
}

func (e *AllFailedError) Error() string {
	return fmt.Sprintf("invoke %q: all %d attempts failed", e.Record.FunctionName, len(e.Record.Attempts))
}

// StatusClientClosed is recorded when the caller went away mid-call (the
// nginx convention; FISO never sends it).
const StatusClientClosed = 499

// Invoke runs one invocation. It returns *AllFailedError when every
// deployment failed, fault errors for unknown functions and unroutable
// policies, and records the invocation in every case where a deployment was
// tried.
func (s *Service) Invoke(ctx context.Context, call Call) (Result, error) {
	start := s.opts.Now()
	fn, pol, err := s.resolve(ctx, call.Function)
	if err != nil {
		return Result{}, err
	}
	req := route.Request{
		Function: fn, Policy: pol, Now: start, UserRegion: call.UserRegion, PayloadBytes: len(call.Payload),
		Rand: s.opts.Rand,
	}
	budgets, err := s.applicableBudgets(ctx, fn, call)
	if err != nil {
		return Result{}, err
	}
	if (len(budgets) > 0 || pol != nil && pol.NeedsEstimates()) && s.opts.Estimator != nil {
		req.Estimates = s.opts.Estimator.Estimate(ctx, fn, estimate.Query{Now: start, UserRegion: call.UserRegion, PayloadBytes: len(call.Payload)})
	}
	plan, err := s.planner.Plan(req)
	if err != nil {
		if errors.Is(err, fault.ErrConflict) {
			return Result{}, fmt.Errorf("cannot route %q: %w", fn.Name, err)
		}
		return Result{}, fault.Conflict("cannot route %q: %s", fn.Name, err.Error())
	}
	if len(plan.Order) == 0 {
		return Result{}, fault.Conflict("policy %q leaves no deployment of function %q to try; check its default_provider and failover list", plan.Decision.Policy, fn.Name)
	}

	id := s.opts.NewID()
	hold, err := s.reserve(ctx, id, budgets, plan.Order, req.Estimates)
	if err != nil {
		return Result{}, err
	}
	rec := invocation.Record{
		ID:               id,
		Timestamp:        start.UTC(),
		FunctionName:     fn.Name,
		RequestSizeBytes: len(call.Payload),
		DayOfWeek:        invocation.Weekday(start),
		HourOfDay:        start.UTC().Hour(),
		UserRegion:       call.UserRegion,
		KeyID:            call.KeyID,
		Team:             call.Team,
		Tags:             call.Tags,
		Decision:         plan.Decision,
		ExpiresAt:        start.Add(s.opts.Retention).UTC(),
		Attempts:         make([]invocation.Attempt, 0, len(plan.Order)),
	}
	resp, answered := s.attempt(ctx, plan.Order, call.Payload, &rec)
	s.observe(fn, plan.Order, rec.Attempts)
	rec.TotalTimeMs = ms(s.opts.Now().Sub(start))

	timedOut := false
	switch {
	case answered:
		rec.StatusCode = resp.StatusCode
		rec.ResponseSizeBytes = len(resp.Body)
		rec.ColdStart = resp.ColdStart
		rec.ErrorOccurred = resp.StatusCode >= 400
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		rec.StatusCode = StatusClientClosed
		rec.ErrorOccurred = true
	default:
		timedOut = allTimedOut(rec.Attempts) || errors.Is(ctx.Err(), context.DeadlineExceeded)
		rec.StatusCode = 502
		if timedOut {
			rec.StatusCode = 504
		}
		rec.ErrorOccurred = true
	}
	rec.CostUSD = s.totalCost(rec.Attempts)
	rec.BaselineCostUSD = s.baseline(fn, pol, req.Estimates, rec)
	s.settle(ctx, hold, rec)
	s.record(ctx, rec)
	if !answered {
		return Result{Record: rec}, &AllFailedError{Record: rec, TimedOut: timedOut}
	}
	return Result{Response: resp, Record: rec}, nil
}

// observe tells the estimator how each attempt that was sent ended.
func (s *Service) observe(fn catalog.Function, order []catalog.Deployment, attempts []invocation.Attempt) {
	if s.opts.Estimator == nil {
		return
	}
	for _, a := range attempts {
		if !a.Sent() {
			continue
		}
		for _, d := range order {
			if d.ID == a.DeploymentID {
				s.opts.Estimator.Observe(fn.Name, d, estimate.Observation{
					At: a.StartedAt, DurationMs: a.DurationMs, BilledDurationMs: a.BilledDurationMs, Answered: a.Ran(),
				})
				break
			}
		}
	}
}

// resolve finds the function and its active policy (nil when none).
func (s *Service) resolve(ctx context.Context, name string) (catalog.Function, *policy.Policy, error) {
	byDefault := name == ""
	if byDefault {
		n, err := s.config.DefaultFunction(ctx)
		if errors.Is(err, fault.ErrNotFound) {
			return catalog.Function{}, nil, fault.Conflict("no policy has been activated yet, so there is no default function; activate one with POST /v1/policies/{name}/activate")
		}
		if err != nil {
			return catalog.Function{}, nil, fmt.Errorf("resolve default function: %w", err)
		}
		name = n
	}
	fn, err := s.config.GetFunction(ctx, name)
	if err != nil {
		return catalog.Function{}, nil, fmt.Errorf("resolve function %q: %w", name, err)
	}
	if fn.ActivePolicy == "" && byDefault {
		// The seed's endpoint means "the active policy's function"; with
		// that policy deactivated there is none.
		return catalog.Function{}, nil, fault.Conflict("function %q, the default one, has no active policy any more; activate a policy with POST /v1/policies/{name}/activate", name)
	}
	if fn.ActivePolicy == "" {
		return fn, nil, nil
	}
	p, err := s.config.GetPolicy(ctx, fn.ActivePolicy)
	if errors.Is(err, fault.ErrNotFound) {
		// Deleted between the two reads; routing without it is what the
		// store will show once the deletion is visible.
		return fn, nil, nil
	}
	if err != nil {
		return catalog.Function{}, nil, fmt.Errorf("resolve policy %q of function %q: %w", fn.ActivePolicy, name, err)
	}
	return fn, &p, nil
}

// attempt tries the deployments in order. Deployments whose circuit is open
// (or half-open and busy with its trial call) are skipped on the first pass
// and tried on a second pass only if nothing else answered, so a breaker can
// reorder but never turn a partial outage into a total one.
func (s *Service) attempt(ctx context.Context, order []catalog.Deployment, payload []byte, rec *invocation.Record) (cloud.Response, bool) {
	var skipped []catalog.Deployment
	for _, d := range order {
		if ctx.Err() != nil {
			return cloud.Response{}, false
		}
		resp, res := s.try(ctx, d, s.breaker(d), payload, rec)
		switch res {
		case answered:
			return resp, true
		case circuitOpen:
			skipped = append(skipped, d)
		}
	}
	for _, d := range skipped {
		if ctx.Err() != nil {
			return cloud.Response{}, false
		}
		if resp, res := s.try(ctx, d, nil, payload, rec); res == answered {
			return resp, true
		}
	}
	return cloud.Response{}, false
}

type tryResult int

const (
	answered tryResult = iota
	failed
	circuitOpen
)

// Error kinds of attempts that never reached a cloud adapter.
const (
	kindCircuitOpen = "circuit_open"
	kindNoInvoker   = "no_invoker"
)

// try makes one attempt, through the breaker when cb is not nil, and
// records it.
func (s *Service) try(ctx context.Context, d catalog.Deployment, cb *gobreaker.CircuitBreaker[cloud.Response], payload []byte, rec *invocation.Record) (cloud.Response, tryResult) {
	a := invocation.Attempt{DeploymentID: d.ID, Provider: d.Provider, Region: d.Region, StartedAt: s.opts.Now().UTC()}
	inv, ok := s.invokers[d.Provider]
	if !ok {
		a.Outcome, a.ErrorKind = invocation.Failed, kindNoInvoker
		a.Error = "this control plane has no " + string(d.Provider) + " invoker configured"
		rec.Attempts = append(rec.Attempts, a)
		return cloud.Response{}, failed
	}
	if cb != nil && cb.State() == gobreaker.StateOpen {
		a.Outcome, a.ErrorKind, a.Error = invocation.Skipped, kindCircuitOpen, "circuit open after repeated failures; tried last"
		rec.Attempts = append(rec.Attempts, a)
		return cloud.Response{}, circuitOpen
	}
	actx, cancel := context.WithTimeout(ctx, s.opts.AttemptTimeout)
	defer cancel()
	call := func() (cloud.Response, error) { return inv.Invoke(actx, d, payload) }
	t0 := s.opts.Now()
	var resp cloud.Response
	var err error
	if cb != nil {
		resp, err = cb.Execute(call)
	} else {
		resp, err = call()
	}
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		a.Outcome, a.ErrorKind, a.Error = invocation.Skipped, kindCircuitOpen, "circuit open after repeated failures; tried last"
		rec.Attempts = append(rec.Attempts, a)
		return cloud.Response{}, circuitOpen
	}
	a.StartedAt = t0.UTC()
	a.DurationMs = ms(s.opts.Now().Sub(t0))
	a.StatusCode, a.ColdStart, a.RequestID = resp.StatusCode, resp.ColdStart, resp.RequestID
	rec.ExecutionTimeMs = a.DurationMs
	rec.Provider, rec.Region, rec.DeploymentID = d.Provider, d.Region, d.ID
	switch {
	case billed(err):
		s.price(ctx, rec, d, resp, &a)
	case cloud.KindOf(err) == cloud.Timeout:
		// The function may run on, and be billed, after FISO stopped waiting.
		rec.Unpriced = true
		rec.CostNote = "an attempt timed out: the platform may bill it; cost_usd is a lower bound"
	}
	if err == nil {
		a.Outcome = invocation.OK
		rec.Attempts = append(rec.Attempts, a)
		return resp, answered
	}
	kind := cloud.KindOf(err)
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		kind = cloud.Canceled
	}
	a.Outcome, a.ErrorKind, a.Error = outcomeOf(kind), string(kind), err.Error()
	var ce *cloud.Error
	if errors.As(err, &ce) && ce.StatusCode != 0 {
		a.StatusCode = ce.StatusCode
	}
	if kind == cloud.Canceled {
		a.Error = "the caller went away before the attempt finished"
	}
	rec.Attempts = append(rec.Attempts, a)
	s.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "attempt failed",
		slog.String("invocation_id", rec.ID), slog.String("function", rec.FunctionName),
		slog.String("deployment", d.ID), slog.String("provider", string(d.Provider)),
		slog.String("outcome", string(a.Outcome)), slog.String("error", a.Error))
	return cloud.Response{}, failed
}

// billed reports whether the platform ran the function, and so bills the
// attempt: it answered, failed in its own code, or answered too much. An
// attempt that never reached the function (or whose fate FISO cannot know,
// a timeout) is not priced.
func billed(err error) bool {
	switch cloud.KindOf(err) {
	case cloud.FunctionError, cloud.TooLarge:
		return true
	}
	return err == nil
}

// price puts the list-price cost of an attempt on it and, as the latest
// billed attempt, its billing details on the record. The provider's billed
// duration and memory are taken when it reports them (AWS); otherwise
// FISO's measured round trip, an upper bound of the execution time, and the
// deployment's memory.
func (s *Service) price(ctx context.Context, rec *invocation.Record, d catalog.Deployment, resp cloud.Response, a *invocation.Attempt) {
	if s.opts.Pricer == nil {
		rec.Unpriced = true
		return
	}
	u := pricing.Usage{DurationMs: a.DurationMs}
	a.CostSource = invocation.CostComputed
	if resp.BilledDurationMs > 0 {
		u = pricing.Usage{DurationMs: resp.BilledDurationMs, MemoryMB: resp.MemorySizeMB, ObservedMemoryMB: resp.MaxMemoryUsedMB}
		a.CostSource = invocation.CostReported
	}
	cost, err := s.opts.Pricer.Price(ctx, d, u)
	if err != nil {
		rec.Unpriced = true
		a.CostSource = ""
		if errors.Is(err, pricing.ErrNoCard) {
			rec.CostNote = "not priced: " + err.Error() // names only the card key
			return
		}
		// The cause can name internal resources; the record is readable by
		// invoker keys, the log is not.
		rec.CostNote = "not priced: pricing was unavailable (logged under the invocation ID)"
		s.opts.Logger.LogAttrs(ctx, slog.LevelError, "price attempt", slog.String("invocation_id", rec.ID),
			slog.String("deployment", d.ID), slog.Any("error", err))
		return
	}
	total := cost.TotalUSD
	a.CostUSD, a.BilledDurationMs, a.BilledMemoryMB, a.RateCardVersion = &total, cost.BilledDurationMs, cost.BilledMemoryMB, cost.CardVersion
	rec.BilledDurationMs, rec.BilledMemoryMB, rec.RateCardVersion, rec.CostSource = a.BilledDurationMs, a.BilledMemoryMB, a.RateCardVersion, a.CostSource
}

// totalCost sums the priced attempts: 0 when no attempt reached a function,
// nil when FISO prices nothing.
func (s *Service) totalCost(as []invocation.Attempt) *float64 {
	if s.opts.Pricer == nil {
		return nil
	}
	var total float64
	for _, a := range as {
		if a.CostUSD != nil {
			total += *a.CostUSD
		}
	}
	return &total
}

func outcomeOf(k cloud.Kind) invocation.Outcome {
	if k == cloud.Timeout {
		return invocation.Timeout
	}
	return invocation.Failed
}

func allTimedOut(as []invocation.Attempt) bool {
	sent := 0
	for _, a := range as {
		if a.Outcome == invocation.Skipped {
			continue
		}
		sent++
		if a.Outcome != invocation.Timeout {
			return false
		}
	}
	return sent > 0
}

// breaker returns the circuit breaker of a deployment's target, shared by
// every function that calls the same target.
func (s *Service) breaker(d catalog.Deployment) *gobreaker.CircuitBreaker[cloud.Response] {
	key := string(d.Provider) + " " + d.Region + " " + d.Target
	if cb, ok := s.breakers.Load(key); ok {
		return cb.(*gobreaker.CircuitBreaker[cloud.Response])
	}
	failures := s.opts.BreakerFailures
	cb := gobreaker.NewCircuitBreaker[cloud.Response](gobreaker.Settings{
		Name:        key,
		MaxRequests: 1,
		Timeout:     s.opts.BreakerCooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		// Only the platform's failures open a circuit; a function that
		// answers with its own error is up, and a caller that went away says
		// nothing about the target.
		IsSuccessful: func(err error) bool { return err == nil || cloud.KindOf(err) == cloud.FunctionError },
		IsExcluded:   func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			s.opts.Logger.Info("circuit state changed", slog.String("target", name),
				slog.String("from", from.String()), slog.String("to", to.String()))
		},
	})
	actual, _ := s.breakers.LoadOrStore(key, cb)
	return actual.(*gobreaker.CircuitBreaker[cloud.Response])
}

// record writes the log entry. The function has already run, so a failed
// write is logged, not returned: failing the call would invite a retry that
// runs the function twice. A caller that went away must not lose the record.
func (s *Service) record(ctx context.Context, rec invocation.Record) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.recorder.PutInvocation(wctx, rec); err != nil {
		s.opts.Logger.LogAttrs(ctx, slog.LevelError, "invocation log write failed",
			slog.String("invocation_id", rec.ID), slog.String("function", rec.FunctionName), slog.Any("error", err))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
