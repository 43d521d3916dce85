package estimate_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/estimate"
	"github.com/fiso-dev/fiso/shared/predict"
	"github.com/fiso-dev/fiso/shared/pricebook"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/store/embedded"
	"github.com/fiso-dev/fiso/shared/testenv"
)

var (
	now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	aws = catalog.Deployment{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1", MemoryMB: 128}
	gcp = catalog.Deployment{ID: "gcp-us-central1", Provider: catalog.GCP, Region: "us-central1"}
	fn  = catalog.Function{Name: "sample", Deployments: []catalog.Deployment{aws, gcp}}
)

func fitted(t testing.TB, n int, ms float64, trainedAt time.Time) predict.Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), 3))
	samples := make([]predict.Sample, n)
	at := trainedAt.Add(-time.Duration(n) * time.Minute)
	for i := range samples {
		at = at.Add(time.Minute)
		samples[i] = predict.Sample{
			Features: predict.Features{PayloadBytes: 100, Hour: at.Hour(), Weekday: 2, IdleSeconds: 60, RecentLatencyMs: ms, DistanceKm: -1},
			At:       at, DurationMs: ms * (1 + 0.05*rng.NormFloat64()),
		}
	}
	m, err := predict.Fit("sample", aws.ID, samples, predict.Options{Now: func() time.Time { return trainedAt }})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func listPrice(t testing.TB, d catalog.Deployment, ms float64) float64 {
	t.Helper()
	card, ok := pricing.Find(pricing.Defaults(), pricebook.KeyOf(d))
	if !ok {
		t.Fatalf("no built-in card for %s", pricebook.KeyOf(d))
	}
	mb := d.MemoryMB
	if mb == 0 {
		mb = pricebook.DefaultMemoryMB(pricebook.KeyOf(d).Plan)
	}
	c, err := card.Cost(pricing.Usage{DurationMs: ms, MemoryMB: mb})
	if err != nil {
		t.Fatal(err)
	}
	return c.TotalUSD
}

func TestFromWhatItSaw(t *testing.T) {
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := estimate.New(st, pricebook.New(st, time.Minute, nil), estimate.Options{Now: func() time.Time { return now }})
	q := estimate.Query{Now: now, UserRegion: "us-east-1", PayloadBytes: 10}
	if got := e.Estimate(context.Background(), fn, q); len(got) != 0 {
		t.Fatalf("estimates before any call or model = %+v, want none (unknown)", got)
	}
	// Three calls: the moving average starts at 100 and moves by Alpha; the
	// platform billed half the round trip.
	e.Observe(fn.Name, aws, estimate.Observation{At: now.Add(-3 * time.Second), DurationMs: 100, BilledDurationMs: 50, Answered: true})
	e.Observe(fn.Name, aws, estimate.Observation{At: now.Add(-2 * time.Second), DurationMs: 200, BilledDurationMs: 100, Answered: true})
	e.Observe(fn.Name, aws, estimate.Observation{At: now.Add(-time.Second), DurationMs: 5, Answered: false})
	got := e.Estimate(context.Background(), fn, q)
	est, ok := got[aws.ID]
	if !ok || len(got) != 1 {
		t.Fatalf("estimates = %+v, want aws only", got)
	}
	wantMs := 100 + estimate.Alpha*(200-100)
	if math.Abs(est.LatencyMs-wantMs) > 1e-9 || math.Abs(est.LatencyP95Ms-2*wantMs) > 1e-9 || est.Samples != 2 || est.Confident {
		t.Errorf("estimate = %+v, want latency %.0f, p95 twice that, resting on the 2 answers, not confident", est, wantMs)
	}
	if want := 1 + estimate.Alpha*(0-1); math.Abs(est.Reliability-want) > 1e-9 {
		t.Errorf("reliability after 2 answers and a failure = %v, want %v", est.Reliability, want)
	}
	if want := listPrice(t, aws, wantMs*0.5); math.Abs(est.CostUSD-want) > 1e-15 {
		t.Errorf("cost = %g, want the list price of the billed half, %g", est.CostUSD, want)
	}
	if est.DistanceKm != 0 {
		t.Errorf("distance from us-east-1 to itself = %v, want 0", est.DistanceKm)
	}
}

func TestFromModels(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name          string
		samples       int
		trainedAt     time.Time
		wantConfident bool
	}{
		{"many fresh samples", 400, now.Add(-time.Hour), true},
		{"few samples", 100, now.Add(-time.Hour), false},
		{"stale model", 400, now.Add(-8 * 24 * time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := embedded.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			m := fitted(t, tc.samples, 60, tc.trainedAt)
			if _, err := st.PutModel(ctx, m, 0); err != nil {
				t.Fatal(err)
			}
			e := estimate.New(st, pricebook.New(st, time.Minute, nil), estimate.Options{Now: func() time.Time { return now }})
			e.Observe(fn.Name, aws, estimate.Observation{At: now.Add(-time.Minute), DurationMs: 60, Answered: true})
			q := estimate.Query{Now: now, PayloadBytes: 100}
			est := e.Estimate(ctx, fn, q)[aws.ID]
			want := m.Predict(estimate.Features(q, now.Add(-time.Minute), 60, estimate.Distance("", aws.Region)))
			if est.LatencyMs != want.LatencyMs || est.LatencyP95Ms != want.LatencyP95Ms || est.ColdStartRisk != want.ColdStartRisk {
				t.Errorf("estimate %+v, want the model's prediction %+v", est, want)
			}
			if est.Samples != m.Samples || est.Confident != tc.wantConfident {
				t.Errorf("samples %d confident %v, want %d and %v", est.Samples, est.Confident, m.Samples, tc.wantConfident)
			}
			if math.Abs(est.LatencyMs-60) > 6 {
				t.Errorf("predicted %v ms for a deployment that takes 60", est.LatencyMs)
			}
		})
	}
}

// TestFreshInstance: a control-plane instance that has not called a
// deployment yet predicts what the model learned of its usual calls, not
// what an unknown idle time and latency would extrapolate to.
func TestFreshInstance(t *testing.T) {
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Calls track the deployment's recent latency (a slow spell stays
	// slow) and idle gaps of a few minutes.
	rng := rand.New(rand.NewPCG(8, 8))
	samples := make([]predict.Sample, 400)
	at := now.Add(-30 * time.Hour)
	for i := range samples {
		gap := 30 + rng.Float64()*300
		at = at.Add(time.Duration(gap * float64(time.Second)))
		recent := 80 * math.Exp(0.3*rng.NormFloat64())
		samples[i] = predict.Sample{
			Features: predict.Features{PayloadBytes: 100, Hour: at.Hour(), Weekday: 3, IdleSeconds: gap, RecentLatencyMs: recent, DistanceKm: -1},
			At:       at, DurationMs: recent * (1 + 0.05*rng.NormFloat64()),
		}
	}
	m, err := predict.Fit("sample", aws.ID, samples, predict.Options{Now: func() time.Time { return now.Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutModel(context.Background(), m, 0); err != nil {
		t.Fatal(err)
	}
	e := estimate.New(st, pricebook.New(st, time.Minute, nil), estimate.Options{Now: func() time.Time { return now }})
	est, ok := e.Estimate(context.Background(), fn, estimate.Query{Now: now, PayloadBytes: 100})[aws.ID]
	if !ok || math.Abs(est.LatencyMs-80) > 12 || est.LatencyP95Ms < est.LatencyMs || !est.Confident {
		t.Errorf("fresh instance estimate = %+v, want about 80 ms from a trusted model", est)
	}
}

// TestConcurrentUse runs estimates and observations together (for -race).
func TestConcurrentUse(t *testing.T) {
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.PutModel(context.Background(), fitted(t, 400, 60, now), 0); err != nil {
		t.Fatal(err)
	}
	e := estimate.New(st, pricebook.New(st, time.Minute, nil), estimate.Options{Now: func() time.Time { return now }})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				d := fn.Deployments[(w+i)%2]
				e.Observe(fn.Name, d, estimate.Observation{At: now.Add(time.Duration(i) * time.Millisecond), DurationMs: 50, Answered: i%10 != 0})
				if got := e.Estimate(context.Background(), fn, estimate.Query{Now: now}); len(got) == 0 {
					t.Error("no estimates while observing")
					return
				}
			}
		})
	}
	wg.Wait()
	est := e.Estimate(context.Background(), fn, estimate.Query{Now: now})[gcp.ID]
	// gcp has no model: its estimate rests on its 360 answered calls.
	if est.Samples != 360 || est.Confident || est.LatencyMs != 50 || est.Reliability >= 1 || est.Reliability < 0.5 {
		t.Errorf("after 400 observations of gcp (360 answered) = %+v", est)
	}
}

// flaky fails after its first read.
type flaky struct {
	models []predict.Model
	reads  atomic.Int32
}

func (f *flaky) CurrentModels(context.Context, string) ([]predict.Model, error) {
	if f.reads.Add(1) > 1 {
		return nil, errors.New("dynamodb: connection reset")
	}
	return f.models, nil
}

func TestKeepsTheLastModelsWhenTheStoreFails(t *testing.T) {
	clock := now
	src := &flaky{models: []predict.Model{fitted(t, 400, 60, now)}}
	var logs testenv.Buffer
	e := estimate.New(src, nil, estimate.Options{ModelTTL: time.Minute, Now: func() time.Time { return clock }, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	q := estimate.Query{Now: now}
	first := e.Estimate(context.Background(), fn, q)[aws.ID]
	clock = clock.Add(2 * time.Minute) // the cache expired; the reload fails
	second := e.Estimate(context.Background(), fn, q)[aws.ID]
	if src.reads.Load() != 2 || first.Samples == 0 || second.LatencyMs != first.LatencyMs || second.Samples != first.Samples {
		t.Errorf("after a failed reload (%d reads): %+v, want the last models' estimate %+v", src.reads.Load(), second, first)
	}
	e.Estimate(context.Background(), fn, q) // within RetryAfter: no read
	clock = clock.Add(estimate.RetryAfter)
	e.Estimate(context.Background(), fn, q) // after it: read again
	if n := src.reads.Load(); n != 3 {
		t.Errorf("store read %d times, want 3: once, once when the cache expired, once after RetryAfter", n)
	}
	if !strings.Contains(logs.String(), "connection reset") {
		t.Errorf("the failed reload was not logged: %q", logs.String())
	}
	if !math.IsNaN(second.CostUSD) {
		t.Errorf("cost without a pricer = %v, want NaN (unknown)", second.CostUSD)
	}
}
