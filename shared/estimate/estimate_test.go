package estimate_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
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
		{"stale model", 400, now.Add(-48 * time.Hour), false},
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
			want := m.Predict(estimate.Features(q, aws, now.Add(-time.Minute), 60))
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
	if !strings.Contains(logs.String(), "connection reset") {
		t.Errorf("the failed reload was not logged: %q", logs.String())
	}
	if !math.IsNaN(second.CostUSD) {
		t.Errorf("cost without a pricer = %v, want NaN (unknown)", second.CostUSD)
	}
}
