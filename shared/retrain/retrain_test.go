package retrain_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/eventbus"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/retrain"
	"github.com/fiso-dev/fiso/shared/store/embedded"
)

func ptr[T any](v T) *T { return &v }

func TestSamplesFollowTheEstimatorsFeatures(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // a Monday
	obs := []retrain.Observation{
		// Out of order on purpose: Samples sorts by time.
		{Deployment: "aws", Region: "us-east-1", UserRegion: "eu-west-1", At: t0.Add(710 * time.Second), DurationMs: 300, PayloadBytes: 64, ColdStart: ptr(true), OK: true, Answered: true},
		{Deployment: "aws", Region: "us-east-1", At: t0, DurationMs: 100, OK: true, Answered: true},
		{Deployment: "aws", Region: "us-east-1", At: t0.Add(10 * time.Second), DurationMs: 120, PayloadBytes: 32, OK: true, Answered: true},
		{Deployment: "aws", Region: "us-east-1", At: t0.Add(700 * time.Second), DurationMs: 5, OK: false, Answered: false},
		{Deployment: "gcp", Region: "us-central1", At: t0.Add(5 * time.Second), DurationMs: 50, OK: true, Answered: true},
	}
	got := retrain.Samples(obs)
	aws := got["aws"]
	if len(aws) != 2 || len(got["gcp"]) != 0 {
		t.Fatalf("samples = %d aws, %d gcp; want 2 and 0 (a deployment's first call has no idle time)", len(aws), len(got["gcp"]))
	}
	first, second := aws[0], aws[1]
	if first.IdleSeconds != 10 || first.RecentLatencyMs != 100 || first.PayloadBytes != 32 || first.DurationMs != 120 || first.ColdKnown {
		t.Errorf("first sample = %+v, want idle 10 s, recent 100 ms, 32 bytes, 120 ms, cold start unknown", first)
	}
	// The failed attempt at 700 s resets the idle clock but not the latency
	// average: 100 + 0.2 * (120 - 100).
	if second.IdleSeconds != 10 || second.RecentLatencyMs != 104 || !second.ColdStart || !second.ColdKnown || second.Hour != 9 || second.Weekday != 0 {
		t.Errorf("second sample = %+v, want idle 10 s, recent 104 ms, a reported cold start, Monday 09h", second)
	}
	if second.DistanceKm < 5000 || second.DistanceKm > 6000 {
		t.Errorf("distance eu-west-1 to us-east-1 = %.0f km, want about 5,500", second.DistanceKm)
	}
}

// events records what the trainer publishes.
type events struct {
	mu  sync.Mutex
	got []eventbus.Event
}

func (e *events) Publish(_ context.Context, evs ...eventbus.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, evs...)
	return nil
}

func (e *events) take() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]int{}
	for _, ev := range e.got {
		out[ev.DetailType]++
	}
	e.got = nil
	return out
}

// calls writes n calls of one deployment from start, each 30 s to 20 min
// apart, lasting about ms (slower when idle past 10 minutes: a cold start).
func calls(t *testing.T, st *embedded.Store, rng *rand.Rand, d catalog.Deployment, start time.Time, n int, ms float64) time.Time {
	t.Helper()
	at := start
	for range n {
		idle := time.Duration(30+rng.IntN(1170)) * time.Second
		at = at.Add(idle)
		cold := idle > 10*time.Minute
		dur := ms * (1 + 0.08*rng.NormFloat64())
		if cold {
			dur += 2 * ms
		}
		r := invocation.Record{
			ID: ulid.MustNew(ulid.Timestamp(at), ulid.DefaultEntropy()).String(), Timestamp: at, FunctionName: "sample",
			Provider: d.Provider, Region: d.Region, DeploymentID: d.ID, RequestSizeBytes: 100 + rng.IntN(1000),
			ExecutionTimeMs: dur, TotalTimeMs: dur, StatusCode: 200, KeyID: "0123456789abcdef",
			DayOfWeek: invocation.Weekday(at), HourOfDay: at.Hour(), ExpiresAt: at.Add(30 * 24 * time.Hour),
			Attempts: []invocation.Attempt{{DeploymentID: d.ID, Provider: d.Provider, Region: d.Region, StartedAt: at,
				DurationMs: dur, Outcome: invocation.OK, ColdStart: &cold}},
		}
		if err := st.PutInvocation(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return at
}

func outcomes(reps []retrain.FunctionReport) map[string]string {
	out := map[string]string{}
	for _, f := range reps {
		for _, d := range f.Deployments {
			out[d.Deployment] = d.Outcome
		}
	}
	return out
}

// TestChampionChallenger trains twice on the same log (the champion stays:
// the challenger is not strictly better), then after one deployment slows
// down fourfold (its challenger wins, and the shift is flagged as drift).
func TestChampionChallenger(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	aws := catalog.Deployment{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1", Target: "arn:aws:lambda:us-east-1:123456789012:function:sample"}
	gcp := catalog.Deployment{ID: "gcp-us-central1", Provider: catalog.GCP, Region: "us-central1", Target: "https://us-central1-p.cloudfunctions.net/sample"}
	azure := catalog.Deployment{ID: "azure-eastus", Provider: catalog.Azure, Region: "eastus", Target: "https://sample.azurewebsites.net/api/sample"}
	if _, _, err := st.PutFunction(ctx, catalog.Function{Name: "sample", Deployments: []catalog.Deployment{aws, gcp, azure}}, 0); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	end := calls(t, st, rng, aws, start, 300, 80)
	if e := calls(t, st, rng, gcp, start, 300, 40); e.After(end) {
		end = e
	}
	calls(t, st, rng, azure, start, 10, 200)

	now := end.Add(time.Minute)
	evs := &events{}
	tr := &retrain.Trainer{Store: st, Events: evs, Now: func() time.Time { return now }}
	reps, err := tr.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{aws.ID: retrain.Promoted, gcp.ID: retrain.Promoted, azure.ID: retrain.TooFew}
	if got := outcomes(reps); !equal(got, want) {
		t.Fatalf("first run = %v, want %v", got, want)
	}
	if got := evs.take(); got[retrain.EventPromoted] != 2 || got[retrain.EventDrift] != 0 {
		t.Errorf("first run events = %v, want 2 promotions", got)
	}
	models, err := st.CurrentModels(ctx, "sample")
	if err != nil || len(models) != 2 || models[0].Version != 1 || models[0].Samples < 200 {
		t.Fatalf("models after the first run = %+v (%v), want 2 at version 1 with their sample counts", models, err)
	}

	reps, err = tr.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{aws.ID: retrain.Kept, gcp.ID: retrain.Kept, azure.ID: retrain.TooFew}
	if got := outcomes(reps); !equal(got, want) {
		t.Fatalf("second run on the same log = %v, want %v", got, want)
	}
	evs.take()

	end = calls(t, st, rng, aws, end, 200, 320)
	now = end.Add(time.Minute)
	reps, err = tr.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{aws.ID: retrain.Promoted, gcp.ID: retrain.Kept, azure.ID: retrain.TooFew}
	if got := outcomes(reps); !equal(got, want) {
		t.Fatalf("after aws slowed down = %v, want %v", got, want)
	}
	for _, d := range reps[0].Deployments {
		if d.Deployment == aws.ID && (d.Drift == nil || !d.Drift.Drifted || d.Version != 2 ||
			d.ChallengerMetrics.Score() >= d.ChampionMetrics.Score()) {
			t.Errorf("aws after slowing down: %+v, want drift flagged and version 2 with a better hold-out score", d)
		}
	}
	if got := evs.take(); got[retrain.EventPromoted] != 1 || got[retrain.EventDrift] != 1 {
		t.Errorf("events after aws slowed down = %v, want 1 promotion and 1 drift", got)
	}
	hist, err := st.ModelHistory(ctx, "sample", aws.ID, 0)
	if err != nil || len(hist) != 2 {
		t.Errorf("aws history = %d models (%v), want 2", len(hist), err)
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
