// Package retrain is FISO's scheduled training: for every function it reads
// a bounded window of the invocation log (by key, newest first), turns every
// attempt into a training sample for its deployment, fits a challenger per
// deployment and replaces the stored champion only when the challenger
// predicts the newest calls better. It flags drift (the calls moved away
// from what the champion learned, or its error grew) as an event.
package retrain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/estimate"
	"github.com/fiso-dev/fiso/shared/eventbus"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/predict"
)

// Store is what training reads and writes.
type Store interface {
	ListFunctions(ctx context.Context) ([]catalog.Function, error)
	ListInvocations(ctx context.Context, q invocation.Query) (invocation.Page, error)
	CurrentModels(ctx context.Context, function string) ([]predict.Model, error)
	PutModel(ctx context.Context, m predict.Model, replaces int64) (predict.Model, error)
}

// Publisher sends events.
type Publisher interface {
	Publish(ctx context.Context, events ...eventbus.Event) error
}

// Event detail types.
const (
	EventPromoted = "Model Promoted"
	EventDrift    = "Model Drift Detected"
)

// Defaults.
const (
	DefaultWindow     = 7 * 24 * time.Hour
	DefaultMaxRecords = 1_000_000
)

// Trainer trains every function's models.
type Trainer struct {
	Store  Store
	Events Publisher
	// Window is how far back the log is read (default 7 days); MaxRecords
	// bounds how many records of one function are read (default 1M, the
	// newest).
	Window     time.Duration
	MaxRecords int
	// Fit tunes fitting and the champion/challenger hold-out.
	Fit    predict.Options
	Now    func() time.Time
	Logger *slog.Logger
}

// Outcomes of one deployment's training.
const (
	Promoted   = "promoted"
	Kept       = "kept"
	TooFew     = "too few samples"
	WriteLost  = "lost a race"
	FitFailed  = "failed"
	NoAttempts = "no calls"
)

// DeploymentReport is what training did for one deployment.
type DeploymentReport struct {
	Deployment string `json:"deployment"`
	Samples    int    `json:"samples"`
	Outcome    string `json:"outcome"`
	Reason     string `json:"reason,omitempty"`
	// Version is the champion's version after the run (0: none).
	Version           int64                `json:"version,omitempty"`
	ChampionMetrics   *predict.Metrics     `json:"champion_metrics,omitempty"`
	ChallengerMetrics *predict.Metrics     `json:"challenger_metrics,omitempty"`
	Drift             *predict.DriftReport `json:"drift,omitempty"`
}

// FunctionReport is what training did for one function.
type FunctionReport struct {
	Function    string             `json:"function"`
	Records     int                `json:"records"`
	Truncated   bool               `json:"truncated,omitempty"`
	Deployments []DeploymentReport `json:"deployments"`
	Error       string             `json:"error,omitempty"`
}

// withDefaults is a copy of t with the defaults filled, so that a Trainer
// may run concurrently.
func (t *Trainer) withDefaults() *Trainer {
	c := *t
	c.fill()
	return &c
}

func (t *Trainer) fill() {
	if t.Window <= 0 {
		t.Window = DefaultWindow
	}
	if t.MaxRecords <= 0 {
		t.MaxRecords = DefaultMaxRecords
	}
	if t.Now == nil {
		t.Now = time.Now
	}
	if t.Logger == nil {
		t.Logger = slog.Default()
	}
	if t.Fit.Now == nil {
		t.Fit.Now = t.Now
	}
}

// Run trains every function. It fails only when the functions cannot be
// listed or no function could be trained; one function's failure is in its
// report and the log.
func (t *Trainer) Run(ctx context.Context) ([]FunctionReport, error) {
	t = t.withDefaults()
	fns, err := t.Store.ListFunctions(ctx)
	if err != nil {
		return nil, fmt.Errorf("retrain: list functions: %w", err)
	}
	out := make([]FunctionReport, 0, len(fns))
	var errs []error
	for _, f := range fns {
		r, err := t.Train(ctx, f)
		if err != nil {
			r.Error = err.Error()
			errs = append(errs, err)
			t.Logger.ErrorContext(ctx, "retrain function", slog.String("function", f.Name), slog.Any("error", err))
		}
		out = append(out, r)
	}
	if len(fns) > 0 && len(errs) == len(fns) {
		return out, fmt.Errorf("retrain: every function failed: %w", errors.Join(errs...))
	}
	return out, nil
}

// Train trains the models of one function.
func (t *Trainer) Train(ctx context.Context, f catalog.Function) (FunctionReport, error) {
	t = t.withDefaults()
	rep := FunctionReport{Function: f.Name, Deployments: []DeploymentReport{}}
	obs, n, truncated, err := t.read(ctx, f.Name)
	rep.Records, rep.Truncated = n, truncated
	if err != nil {
		return rep, err
	}
	samples := Samples(obs)
	champions, err := t.Store.CurrentModels(ctx, f.Name)
	if err != nil {
		return rep, fmt.Errorf("retrain %q: read champions: %w", f.Name, err)
	}
	var events []eventbus.Event
	var errs []error
	for _, d := range f.Deployments {
		dr, evs, err := t.trainDeployment(ctx, f.Name, d.ID, samples[d.ID], champion(champions, d.ID))
		rep.Deployments = append(rep.Deployments, dr)
		events = append(events, evs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(events) > 0 && t.Events != nil {
		if err := t.Events.Publish(ctx, events...); err != nil {
			t.Logger.ErrorContext(ctx, "publish training events", slog.String("function", f.Name), slog.Any("error", err))
		}
	}
	return rep, errors.Join(errs...)
}

func champion(ms []predict.Model, deployment string) *predict.Model {
	for i := range ms {
		if ms[i].Deployment == deployment {
			return &ms[i]
		}
	}
	return nil
}

// trainDeployment challenges one deployment's champion. It fails only when
// the store cannot take a promoted model (a lost race is an outcome).
func (t *Trainer) trainDeployment(ctx context.Context, function, deployment string, samples []predict.Sample, champ *predict.Model) (DeploymentReport, []eventbus.Event, error) {
	dr := DeploymentReport{Deployment: deployment, Samples: len(samples)}
	if champ != nil {
		dr.Version = champ.Version
	}
	if len(samples) == 0 {
		dr.Outcome, dr.Reason = NoAttempts, "no answered call in the window"
		return dr, nil, nil
	}
	var events []eventbus.Event
	out, err := predict.Challenge(champ, function, deployment, samples, t.Fit)
	switch {
	case errors.Is(err, predict.ErrTooFewSamples):
		dr.Outcome, dr.Reason = TooFew, err.Error()
		return dr, nil, nil
	case err != nil:
		dr.Outcome, dr.Reason = FitFailed, err.Error()
		t.Logger.ErrorContext(ctx, "fit model", slog.String("function", function), slog.String("deployment", deployment), slog.Any("error", err))
		return dr, nil, nil
	}
	cm, chm := out.ChallengerMetrics, out.ChampionMetrics
	dr.ChallengerMetrics = &cm
	dr.Reason = out.Reason
	if champ != nil {
		dr.ChampionMetrics = &chm
		holdout := newest(samples, t.Fit.HoldoutFraction)
		if drift := predict.Drift(champ, holdout); drift.Drifted {
			dr.Drift = &drift
			events = append(events, eventbus.Event{DetailType: EventDrift, Detail: driftDetail{
				Function: function, Deployment: deployment, Version: champ.Version, Report: drift,
			}})
		}
	}
	if !out.Promoted {
		dr.Outcome = Kept
		return dr, events, nil
	}
	replaces := int64(0)
	if champ != nil {
		replaces = champ.Version
	}
	stored, err := t.Store.PutModel(ctx, out.Challenger, replaces)
	if errors.Is(err, fault.ErrConflict) {
		// Another run promoted a model meanwhile; the next run challenges it.
		dr.Outcome, dr.Reason = WriteLost, err.Error()
		t.Logger.WarnContext(ctx, "store model", slog.String("function", function), slog.String("deployment", deployment), slog.Any("error", err))
		return dr, events, nil
	}
	if err != nil {
		dr.Outcome, dr.Reason = FitFailed, "the model could not be stored"
		return dr, events, fmt.Errorf("retrain %s/%s: store the model: %w", function, deployment, err)
	}
	dr.Outcome, dr.Version = Promoted, stored.Version
	events = append(events, eventbus.Event{DetailType: EventPromoted, Detail: promotedDetail{
		Function: function, Deployment: deployment, Version: stored.Version, Replaces: replaces,
		Samples: stored.Samples, Metrics: cm, ChampionMetrics: dr.ChampionMetrics, Reason: out.Reason,
	}})
	return dr, events, nil
}

// newest is the most recent share of time-ordered samples: the calls
// Challenge holds out.
func newest(samples []predict.Sample, share float64) []predict.Sample {
	if share <= 0 {
		share = predict.DefaultHoldoutFraction
	}
	k := min(max(1, int(math.Round(share*float64(len(samples))))), len(samples)/2)
	return samples[len(samples)-k:]
}

type driftDetail struct {
	Function   string              `json:"function"`
	Deployment string              `json:"deployment"`
	Version    int64               `json:"version"`
	Report     predict.DriftReport `json:"report"`
}

type promotedDetail struct {
	Function        string           `json:"function"`
	Deployment      string           `json:"deployment"`
	Version         int64            `json:"version"`
	Replaces        int64            `json:"replaces,omitempty"`
	Samples         int              `json:"samples"`
	Metrics         predict.Metrics  `json:"metrics"`
	ChampionMetrics *predict.Metrics `json:"champion_metrics,omitempty"`
	Reason          string           `json:"reason"`
}

// Observation is one attempt from the log, reduced to what training needs.
type Observation struct {
	Deployment   string
	Region       string
	UserRegion   string
	At           time.Time
	DurationMs   float64
	PayloadBytes int
	ColdStart    *bool
	OK           bool
	// Answered: the function ran (ok or its own error); else an
	// infrastructure failure, which says nothing of its latency.
	Answered bool
}

// Observations reduces a record to its sent attempts.
func Observations(r invocation.Record, into []Observation) []Observation {
	for _, a := range r.Attempts {
		if !a.Sent() {
			continue
		}
		into = append(into, Observation{
			Deployment: a.DeploymentID, Region: a.Region, UserRegion: r.UserRegion, At: a.StartedAt,
			DurationMs: a.DurationMs, PayloadBytes: r.RequestSizeBytes, ColdStart: a.ColdStart,
			OK: a.Outcome == invocation.OK, Answered: a.Ran(),
		})
	}
	return into
}

// read lists the function's records in the window, newest first, by key,
// and keeps their attempts.
func (t *Trainer) read(ctx context.Context, function string) (obs []Observation, records int, truncated bool, err error) {
	now := t.Now()
	q := invocation.Query{Function: function, Since: now.Add(-t.Window), Until: now, Limit: invocation.MaxLimit}
	for {
		page, err := t.Store.ListInvocations(ctx, q)
		if err != nil {
			return nil, records, false, fmt.Errorf("retrain %q: read the invocation log: %w", function, err)
		}
		for _, r := range page.Items {
			if records == t.MaxRecords {
				return obs, records, true, nil
			}
			records++
			obs = Observations(r, obs)
		}
		if page.Next == nil {
			return obs, records, false, nil
		}
		q.After = page.Next
	}
}

// Samples turns observations (in any order) into each deployment's training
// samples, in time order, with the features the estimator computes before a
// call: idle time since the deployment's previous attempt and the moving
// average of its previous latencies. A deployment's first attempt in the
// window is not a sample: its idle time is unknown.
func Samples(obs []Observation) map[string][]predict.Sample {
	slices.SortStableFunc(obs, func(a, b Observation) int { return a.At.Compare(b.At) })
	type state struct {
		last   time.Time
		recent float64
		calls  int
	}
	states := map[string]*state{}
	out := map[string][]predict.Sample{}
	for _, o := range obs {
		st := states[o.Deployment]
		if st == nil {
			st = &state{}
			states[o.Deployment] = st
		}
		if o.OK && !st.last.IsZero() {
			q := estimate.Query{Now: o.At, PayloadBytes: o.PayloadBytes}
			s := predict.Sample{
				Features:   estimate.Features(q, st.last, st.recent, estimate.Distance(o.UserRegion, o.Region)),
				At:         o.At,
				DurationMs: o.DurationMs,
			}
			if o.ColdStart != nil {
				s.ColdStart, s.ColdKnown = *o.ColdStart, true
			}
			out[o.Deployment] = append(out[o.Deployment], s)
		}
		if o.At.After(st.last) {
			st.last = o.At
		}
		if o.Answered {
			if st.calls == 0 {
				st.recent = o.DurationMs
			} else {
				st.recent += estimate.Alpha * (o.DurationMs - st.recent)
			}
			st.calls++
		}
	}
	return out
}
