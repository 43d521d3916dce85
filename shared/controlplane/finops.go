package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fiso-dev/fiso/shared/alert"
	"github.com/fiso-dev/fiso/shared/anomaly"
	"github.com/fiso-dev/fiso/shared/store"
)

// FinOpsReport is what one run of the hourly FinOps job did.
type FinOpsReport struct {
	// Swept counts the expired budget reservations released.
	Swept int `json:"swept"`
	// Functions and Teams count the series checked for spend anomalies,
	// over the hours from JudgedFrom to JudgedTo (exclusive).
	Functions  int       `json:"functions"`
	Teams      int       `json:"teams"`
	JudgedFrom time.Time `json:"judged_from"`
	JudgedTo   time.Time `json:"judged_to"`
	// Anomalies counts the anomalous hours found, New those this run
	// recorded first (each of which it alerted; an hour found again by a
	// later run is not new), AlertsFailed the new ones whose alert could
	// not be sent.
	Anomalies    int `json:"anomalies"`
	New          int `json:"new"`
	AlertsFailed int `json:"alerts_failed,omitempty"`
	// Failed counts the series that could not be checked.
	Failed int `json:"failed,omitempty"`
}

// AnomalyAlerter sends the alert of a newly recorded spend anomaly.
type AnomalyAlerter interface {
	Send(ctx context.Context, a anomaly.Anomaly) error
}

// DefaultAnomalyHours is how many of the last complete hours each run
// judges: an hourly run judges each hour three times, so a run that fails
// or is late is caught up by the next ones (recording is once per hour, so
// judging an hour again records and alerts nothing).
const DefaultAnomalyHours = 3

// anomalyWorkers bounds how many series are read at once.
const anomalyWorkers = 8

// FinOpsJob is the hourly FinOps work (functions/finops): it releases
// budget reservations whose calls never settled, and looks for spend
// anomalies in the hourly spend of every function and team.
type FinOpsJob struct {
	Store  store.Store
	Alerts AnomalyAlerter
	// Anomaly tunes the detector; the zero value takes its defaults.
	Anomaly anomaly.Config
	// Hours is how many of the last complete hours a run judges
	// (DefaultAnomalyHours when zero).
	Hours  int
	Now    func() time.Time
	Logger *slog.Logger
}

// NewFinOpsJob assembles the hourly FinOps job on st, which the caller
// closes. Anomalies are alerted like budget alerts: published on the
// configured event bus (logged without one) and posted to the configured
// webhook.
func NewFinOpsJob(ctx context.Context, cfg Config, st store.Store, opts Options) (*FinOpsJob, error) {
	opts = opts.withDefaults()
	awsCfg, err := awsConfig(ctx, opts.AWS)
	if err != nil {
		return nil, err
	}
	alerts := &alert.Anomalies{Events: publisher(cfg, awsCfg, opts.Logger), Logger: opts.Logger,
		Webhook: webhook(cfg, secretResolver(cfg, awsCfg, opts), opts)}
	return &FinOpsJob{Store: st, Alerts: alerts, Now: opts.Now, Logger: opts.Logger}, nil
}

// Run does one hour's work. It fails when the sweep fails, or when a
// series could not be checked or an alert could not be sent; everything
// else is done regardless.
func (j *FinOpsJob) Run(ctx context.Context) (FinOpsReport, error) {
	var r FinOpsReport
	now := j.Now()
	n, err := j.Store.SweepReservations(ctx, now)
	if err != nil {
		return r, fmt.Errorf("sweep expired budget reservations: %w", err)
	}
	r.Swept = n
	if n > 0 {
		j.Logger.Warn("released expired budget reservations: their calls never settled", slog.Int("count", n))
	}
	err = j.detect(ctx, now, &r)
	j.Logger.Info("spend anomaly check", slog.Int("functions", r.Functions), slog.Int("teams", r.Teams),
		slog.Int("anomalies", r.Anomalies), slog.Int("new", r.New), slog.Int("failed", r.Failed))
	return r, err
}

// spendSeries is one hourly spend series: a function's or a team's.
type spendSeries struct {
	dim   store.Dimension
	value string
}

// detect judges the last complete hours of every function and team,
// records the anomalous ones and alerts those it recorded first.
func (j *FinOpsJob) detect(ctx context.Context, now time.Time, r *FinOpsReport) error {
	hours := j.Hours
	if hours <= 0 {
		hours = DefaultAnomalyHours
	}
	to := store.Hour(now)
	from := to.Add(-time.Duration(hours) * time.Hour)
	r.JudgedFrom, r.JudgedTo = from, to

	all, err := j.seriesToCheck(ctx, from, to)
	if err != nil {
		return err
	}
	var (
		mu   sync.Mutex
		errs []error
		g    errgroup.Group
	)
	g.SetLimit(anomalyWorkers)
	for _, s := range all {
		g.Go(func() error {
			c := j.check(ctx, s, from, to, now)
			mu.Lock()
			defer mu.Unlock()
			r.Anomalies += c.found
			r.New += c.recorded
			r.AlertsFailed += c.unsent
			if c.err != nil {
				// One series failing stops none of the others.
				r.Failed++
			}
			errs = append(errs, c.err, c.alertErr)
			return nil
		})
	}
	_ = g.Wait()
	for _, s := range all {
		if s.dim == store.ByFunction {
			r.Functions++
		} else {
			r.Teams++
		}
	}
	return errors.Join(errs...)
}

// seriesToCheck is every function FISO knows, and every team that spent
// in the days of [from, to): a team that spent nothing then has no hour to
// flag. Calls without a team are left out: their functions' series cover
// them.
func (j *FinOpsJob) seriesToCheck(ctx context.Context, from, to time.Time) ([]spendSeries, error) {
	fns, err := j.Store.ListFunctions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list functions to check for spend anomalies: %w", err)
	}
	teams, err := j.Store.CostTotals(ctx, store.CostQuery{From: from, To: store.Day(to.Add(-time.Hour)).AddDate(0, 0, 1), GroupBy: store.ByTeam})
	if err != nil {
		return nil, fmt.Errorf("list teams to check for spend anomalies: %w", err)
	}
	out := make([]spendSeries, 0, len(fns)+len(teams))
	for _, f := range fns {
		out = append(out, spendSeries{store.ByFunction, f.Name})
	}
	for _, t := range teams {
		if t.Group != store.NoTeam {
			out = append(out, spendSeries{store.ByTeam, t.Group})
		}
	}
	return out, nil
}

// checked is what checking one series did: err says why it could not be
// read or an anomaly recorded, alertErr which alerts could not be sent.
type checked struct {
	found, recorded, unsent int
	err, alertErr           error
}

// check judges the hours [from, to) of one series, records each anomalous
// one and alerts those recorded first.
func (j *FinOpsJob) check(ctx context.Context, s spendSeries, from, to, now time.Time) checked {
	var c checked
	costs, err := j.hourlyCosts(ctx, s, from.Add(-j.Anomaly.History()), to)
	if err != nil {
		c.err = err
		return c
	}
	points := make([]anomaly.Point, len(costs))
	for i, h := range costs {
		points[i] = anomaly.Point{Hour: h.Hour, CostUSD: h.CostUSD}
	}
	var errs, alertErrs []error
	for _, v := range anomaly.Detect(points, from, to, j.Anomaly) {
		if !v.Anomalous {
			continue
		}
		c.found++
		a := v.Anomaly(string(s.dim), s.value, now)
		first, err := j.Store.PutAnomaly(ctx, a)
		if err != nil {
			errs = append(errs, fmt.Errorf("record spend anomaly %s: %w", a.ID(), err))
			continue
		}
		if !first {
			continue // an earlier run recorded and alerted it
		}
		c.recorded++
		if j.Alerts == nil {
			continue
		}
		if err := j.Alerts.Send(ctx, a); err != nil {
			// Recorded, so no later run sends it: the failed run and this
			// log line are what is left of it (the API lists it).
			c.unsent++
			j.Logger.Error("send spend anomaly alert", slog.String("anomaly", a.ID()), slog.Any("error", err))
			alertErrs = append(alertErrs, fmt.Errorf("alert spend anomaly %s: %w", a.ID(), err))
		}
	}
	c.err, c.alertErr = errors.Join(errs...), errors.Join(alertErrs...)
	return c
}

// hourlyCosts reads a series' hourly spend over [from, to), in queries of
// at most store.MaxHourlyDays (the detector's history is longer than one).
func (j *FinOpsJob) hourlyCosts(ctx context.Context, s spendSeries, from, to time.Time) ([]store.HourlyCost, error) {
	var out []store.HourlyCost
	for start := from; start.Before(to); {
		end := start.Add(store.MaxHourlyDays * 24 * time.Hour)
		if end.After(to) {
			end = to
		}
		part, err := j.Store.HourlyCosts(ctx, s.dim, s.value, start, end)
		if err != nil {
			return nil, fmt.Errorf("read the hourly spend of %s %q: %w", s.dim, s.value, err)
		}
		out = append(out, part...)
		start = end
	}
	return out, nil
}
