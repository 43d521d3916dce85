// Package estimate tells the router what to expect of each deployment of a
// function for the next call: predicted latency (median and p95), cold-start
// risk and cost, from the deployment's trained model, what this control
// plane saw of it lately, and its rate card.
//
// What it saw lately (time of the last call, a moving average of latency,
// reliability) is per process: each Lambda instance of the control plane
// learns from the calls it makes. The models are shared, through the store,
// and retrained from every instance's invocation log.
package estimate

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/fiso-dev/fiso/shared/cache"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/predict"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/route"
)

// Models reads the champion models of a function's deployments.
type Models interface {
	CurrentModels(ctx context.Context, function string) ([]predict.Model, error)
}

// Pricer prices one invocation of a deployment at list price.
type Pricer interface {
	Price(ctx context.Context, d catalog.Deployment, u pricing.Usage) (pricing.Cost, error)
}

// Options tune an Estimator. Zero values take the defaults.
type Options struct {
	// ModelTTL is how long a function's models are cached (default 5m): a
	// new champion shows within it.
	ModelTTL time.Duration
	// ConfidentSamples is how many training samples make a model trusted
	// (default 200); StaleAfter is how old a model may be and still be
	// trusted (default 7 days, the training window: a champion that keeps
	// beating its challengers stays, and after that long its deployment is
	// explored again). Untrusted deployments are what exploration sends
	// calls to.
	ConfidentSamples int
	StaleAfter       time.Duration
	Now              func() time.Time
	Logger           *slog.Logger
}

// Alpha is the weight of the newest call in the moving averages of latency,
// billed share and reliability (about the last 10 calls).
const Alpha = 0.2

// Estimator is safe for concurrent use.
type Estimator struct {
	models Models
	pricer Pricer
	opts   Options
	cache  *cache.TTL[[]predict.Model]

	mu          sync.Mutex
	lastGood    map[string][]predict.Model
	failedUntil map[string]time.Time

	state sync.Map // function + "\x00" + deployment ID -> *seen
}

// New returns an Estimator over the store's models and the price book.
func New(models Models, pricer Pricer, opts Options) *Estimator {
	if opts.ModelTTL <= 0 {
		opts.ModelTTL = 5 * time.Minute
	}
	if opts.ConfidentSamples <= 0 {
		opts.ConfidentSamples = 200
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 7 * 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Estimator{
		models: models, pricer: pricer, opts: opts,
		cache:    cache.New[[]predict.Model](opts.ModelTTL, 10_000, opts.Now),
		lastGood: map[string][]predict.Model{}, failedUntil: map[string]time.Time{},
	}
}

// seen is what this process saw of one deployment.
type seen struct {
	mu sync.Mutex
	figures
}

// figures are seen's numbers, copied out under its lock.
type figures struct {
	last        time.Time
	latencyMs   float64 // moving average of round trips
	billedShare float64 // moving average of billed duration / round trip
	reliability float64 // moving average of answered (1) or not (0)
	calls       int
	answered    int
	billed      int
}

func (s *seen) snapshot() figures {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.figures
}

func stateKey(function, deployment string) string { return function + "\x00" + deployment }

// Observation is one attempt as it ended.
type Observation struct {
	At         time.Time
	DurationMs float64
	// BilledDurationMs is what the platform billed (0: not reported).
	BilledDurationMs float64
	// Answered is false for infrastructure failures (unreachable, timeout,
	// throttled, unavailable); a function's own error still answered.
	Answered bool
}

// Observe learns from one attempt on deployment d of function.
func (e *Estimator) Observe(function string, d catalog.Deployment, o Observation) {
	key := stateKey(function, d.ID)
	v, found := e.state.Load(key)
	if !found {
		v, _ = e.state.LoadOrStore(key, &seen{figures: figures{reliability: 1, billedShare: 1}})
	}
	s := v.(*seen)
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.At.After(s.last) {
		s.last = o.At
	}
	ok := 0.0
	if o.Answered {
		ok = 1
	}
	s.reliability = ewma(s.reliability, ok, s.calls)
	s.calls++
	if o.Answered && o.DurationMs > 0 {
		s.latencyMs = ewma(s.latencyMs, o.DurationMs, s.answered)
		s.answered++
		if o.BilledDurationMs > 0 {
			s.billedShare = ewma(s.billedShare, math.Min(o.BilledDurationMs/o.DurationMs, 1), s.billed)
			s.billed++
		}
	}
}

// ewma starts at the first value, then moves by Alpha.
func ewma(avg, x float64, n int) float64 {
	if n == 0 {
		return x
	}
	return avg + Alpha*(x-avg)
}

// Query is one call about to be routed.
type Query struct {
	Now          time.Time
	UserRegion   string
	PayloadBytes int
}

// Estimate predicts every deployment of f for the call q. A deployment with
// neither a model nor a call seen by this process has no estimate: the
// router treats it as unknown. It never fails: without models (or with the
// store unreachable) it estimates from what it saw.
func (e *Estimator) Estimate(ctx context.Context, f catalog.Function, q Query) map[string]route.Estimate {
	models := e.modelsOf(ctx, f.Name)
	out := make(map[string]route.Estimate, len(f.Deployments))
	for _, d := range f.Deployments {
		var m *predict.Model
		for i := range models {
			if models[i].Deployment == d.ID {
				m = &models[i]
				break
			}
		}
		var s figures
		if v, ok := e.state.Load(stateKey(f.Name, d.ID)); ok {
			s = v.(*seen).snapshot()
		}
		if m == nil && s.answered == 0 {
			continue
		}
		out[d.ID] = e.estimate(ctx, d, m, s, q)
	}
	return out
}

// Features builds the model's inputs for a call to a deployment last
// called at last (zero: never) with the given recent latency (0: none), at
// distanceKm from the caller (negative: unknown; see Distance).
func Features(q Query, last time.Time, recentMs, distanceKm float64) predict.Features {
	hour, weekday := predict.Calendar(q.Now)
	f := predict.Features{
		PayloadBytes:    float64(q.PayloadBytes),
		Hour:            hour,
		Weekday:         weekday,
		IdleSeconds:     predict.Unknown,
		RecentLatencyMs: recentMs,
		DistanceKm:      distanceKm,
	}
	if !last.IsZero() {
		f.IdleSeconds = math.Max(q.Now.Sub(last).Seconds(), 0)
	}
	return f
}

// Distance is the distance in km between a caller's region and a
// deployment's, or predict.Unknown when either region is not known.
func Distance(userRegion, region string) float64 {
	if km, ok := predict.RegionDistanceKm(userRegion, region); ok {
		return km
	}
	return predict.Unknown
}

func (e *Estimator) estimate(ctx context.Context, d catalog.Deployment, m *predict.Model, s figures, q Query) route.Estimate {
	est := route.Estimate{Reliability: 1, DistanceKm: Distance(q.UserRegion, d.Region)}
	if s.calls > 0 {
		est.Reliability = s.reliability
	}
	if m != nil {
		f := Features(q, s.last, s.latencyMs, est.DistanceKm)
		// What this instance has not seen (a new instance, a deployment it
		// has not called) is taken to be as in training, not as unknown.
		idle, recent := m.Typical()
		if s.calls == 0 {
			f.IdleSeconds = idle
		}
		if s.answered == 0 {
			f.RecentLatencyMs = recent
		}
		p := m.Predict(f)
		est.LatencyMs, est.LatencyP95Ms, est.ColdStartRisk = p.LatencyMs, p.LatencyP95Ms, p.ColdStartRisk
		est.Samples = m.Samples
		est.Confident = !p.Prior && m.Samples >= e.opts.ConfidentSamples && q.Now.Sub(m.TrainedAt) <= e.opts.StaleAfter
	} else {
		// No model yet: what this process saw, with a p95 of twice the
		// average (the moving average hides the tail it cannot measure).
		est.LatencyMs, est.LatencyP95Ms = s.latencyMs, 2*s.latencyMs
		est.Samples = s.answered
	}
	share := s.billedShare
	if s.billed == 0 {
		share = 1
	}
	est.CostUSD = e.price(ctx, d, est.LatencyMs*share)
	est.CostP95USD = e.price(ctx, d, est.LatencyP95Ms*share)
	return est
}

// price is the list price of a call of durationMs; NaN when the deployment
// cannot be priced, which the router reads as an unknown cost.
func (e *Estimator) price(ctx context.Context, d catalog.Deployment, durationMs float64) float64 {
	if e.pricer == nil || durationMs <= 0 {
		return math.NaN()
	}
	c, err := e.pricer.Price(ctx, d, pricing.Usage{DurationMs: durationMs})
	if err != nil {
		return math.NaN()
	}
	return c.TotalUSD
}

// RetryAfter is how long, after the store failed to give a function's
// models, routing keeps the last ones it had before asking again.
const RetryAfter = 10 * time.Second

// modelsOf returns a function's models from the cache. When the store
// cannot be read it routes on the last models it had (none on a new
// instance), says so in the log, and asks again after RetryAfter rather
// than on every call or only after the cache's TTL.
func (e *Estimator) modelsOf(ctx context.Context, function string) []predict.Model {
	e.mu.Lock()
	if until, ok := e.failedUntil[function]; ok && e.opts.Now().Before(until) {
		ms := e.lastGood[function]
		e.mu.Unlock()
		return ms
	}
	e.mu.Unlock()
	ms, err := e.cache.Get(ctx, function, func(ctx context.Context) ([]predict.Model, error) {
		return e.models.CurrentModels(ctx, function)
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		if _, logged := e.failedUntil[function]; !logged {
			e.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "load models; routing on the last ones loaded",
				slog.String("function", function), slog.Any("error", err))
		}
		e.failedUntil[function] = e.opts.Now().Add(RetryAfter)
		return e.lastGood[function]
	}
	delete(e.failedUntil, function)
	e.lastGood[function] = ms
	return ms
}

// Forget drops the cached models of function, so the next call reads the
// store (after a retrain in the same process).
func (e *Estimator) Forget(function string) { e.cache.Forget(function) }
