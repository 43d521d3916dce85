package orchestrator

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/route"
)

// recordingBudgets is the orchestrator's view of a budget.Guard: it
// records what was reserved and settled, and fails or refuses on demand.
type recordingBudgets struct {
	mu            sync.Mutex
	applicable    []budget.Budget
	applicableErr error
	reserveErr    error
	reserved      []float64
	settled       []float64
	subjects      []budget.Subject
}

func (b *recordingBudgets) Applicable(_ context.Context, s budget.Subject) ([]budget.Budget, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subjects = append(b.subjects, s)
	return b.applicable, b.applicableErr
}

func (b *recordingBudgets) Reserve(_ context.Context, id string, bs []budget.Budget, amountUSD float64) (budget.Hold, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.reserveErr != nil {
		return budget.Hold{}, b.reserveErr
	}
	b.reserved = append(b.reserved, amountUSD)
	return budget.HoldOf(budget.NewReservation(id, bs, amountUSD, monday, time.Minute)), nil
}

func (b *recordingBudgets) Settle(_ context.Context, h budget.Hold, actualUSD float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.settled = append(b.settled, actualUSD)
}

func TestBudgetsHoldCalls(t *testing.T) {
	team := budget.Budget{Scope: budget.Team, ID: "payments", Period: budget.Month, LimitUSD: 10}
	refusal := &budget.ExceededError{Budget: team.Ref(), Period: "2026-11", LimitUSD: 10, SpentUSD: 10}
	slow := func(context.Context) (cloud.Response, error) {
		return cloud.Response{StatusCode: 200, Body: []byte(`{}`), BilledDurationMs: 40}, nil
	}
	for _, tc := range []struct {
		name   string
		b      *recordingBudgets
		script map[string]func(context.Context) (cloud.Response, error)
		est    map[string]route.Estimate
		// wantErr is what Invoke fails with (nil: it answers).
		wantErr      error
		wantCalls    int
		wantReserved []float64
		wantSettled  []float64
		wantRecorded bool
	}{
		{name: "no budget applies: nothing is held", wantCalls: 1, wantRecorded: true},
		{name: "without a confident prediction, held at the price of a call of the whole attempt timeout on the first deployment, settled at the actual cost",
			b: &recordingBudgets{applicable: []budget.Budget{team}}, script: map[string]func(context.Context) (cloud.Response, error){"aws": slow},
			wantCalls: 1, wantReserved: []float64{2000e-6}, wantSettled: []float64{40e-6}, wantRecorded: true},
		{name: "confident predictions: held at the dearest p95 cost of a first attempt (an open circuit may skip aws)",
			b: &recordingBudgets{applicable: []budget.Budget{team}}, script: map[string]func(context.Context) (cloud.Response, error){"aws": slow},
			est:       map[string]route.Estimate{"aws": confident(45e-6), "gcp": confident(60e-6), "azure": confident(30e-6)},
			wantCalls: 1, wantReserved: []float64{60e-6}, wantSettled: []float64{40e-6}, wantRecorded: true},
		{name: "a deployment whose prediction is not confident yet is held at its attempt timeout's price",
			b: &recordingBudgets{applicable: []budget.Budget{team}}, script: map[string]func(context.Context) (cloud.Response, error){"aws": slow},
			est: map[string]route.Estimate{"aws": confident(45e-6), "gcp": func() route.Estimate {
				e := confident(60e-6)
				e.Confident = false
				return e
			}(), "azure": confident(30e-6)},
			wantCalls: 1, wantReserved: []float64{2000e-6}, wantSettled: []float64{40e-6}, wantRecorded: true},
		{name: "a failover settles every billed attempt",
			b: &recordingBudgets{applicable: []budget.Budget{team}}, script: map[string]func(context.Context) (cloud.Response, error){
				"aws": func(context.Context) (cloud.Response, error) {
					return cloud.Response{StatusCode: 200, BilledDurationMs: 30}, &cloud.Error{Kind: cloud.FunctionError, Detail: "boom"}
				}, "gcp": slow},
			wantCalls: 2, wantReserved: []float64{2000e-6}, wantSettled: []float64{70e-6}, wantRecorded: true},
		{name: "a timeout the platform may bill settles at least the reservation",
			b: &recordingBudgets{applicable: []budget.Budget{team}}, script: map[string]func(context.Context) (cloud.Response, error){
				"aws": failWith(cloud.Timeout), "gcp": failWith(cloud.Unreachable), "azure": failWith(cloud.Unreachable)},
			wantErr: &AllFailedError{}, wantCalls: 3, wantReserved: []float64{2000e-6}, wantSettled: []float64{2000e-6}, wantRecorded: true},
		{name: "a refused call is not invoked, not settled and not logged",
			b:       &recordingBudgets{applicable: []budget.Budget{team}, reserveErr: refusal},
			wantErr: refusal},
		{name: "budgets that cannot be read refuse the call (503)",
			b:       &recordingBudgets{applicableErr: errors.New("dynamodb: connection reset")},
			wantErr: fault.ErrUnavailable},
		{name: "counters that cannot be written refuse the call (503)",
			b:       &recordingBudgets{applicable: []budget.Budget{team}, reserveErr: errors.New("dynamodb: throttled")},
			wantErr: fault.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			if b == nil {
				b = &recordingBudgets{}
			}
			clock := monday
			opts := Options{Budgets: b, Pricer: fakePricer{}, AttemptTimeout: 2 * time.Second, Now: func() time.Time {
				clock = clock.Add(500 * time.Microsecond)
				return clock
			}}
			if tc.est != nil {
				opts.Estimator = &recordingEstimator{estimates: tc.est}
			}
			fx := newFixture(t, opts)
			for k, v := range tc.script {
				fx.inv.answers[k] = v
			}
			_, err := fx.svc.Invoke(context.Background(), Call{Function: "sample", Team: "payments", KeyID: "0123456789abcdef"})
			var afe *AllFailedError
			switch want := tc.wantErr.(type) {
			case nil:
				if err != nil {
					t.Fatalf("Invoke: %v", err)
				}
			case *AllFailedError:
				if !errors.As(err, &afe) {
					t.Fatalf("Invoke = %v, want every deployment failed", err)
				}
			case *budget.ExceededError:
				var ee *budget.ExceededError
				if !errors.As(err, &ee) || ee != want {
					t.Fatalf("Invoke = %v, want the refusal %v", err, want)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("Invoke = %v, want %v", err, want)
				}
			}
			calls := fx.inv.count("aws") + fx.inv.count("gcp") + fx.inv.count("azure")
			if calls != tc.wantCalls {
				t.Errorf("%d attempts, want %d", calls, tc.wantCalls)
			}
			if !near(b.reserved, tc.wantReserved) || !near(b.settled, tc.wantSettled) {
				t.Errorf("reserved %v, settled %v; want %v, %v", b.reserved, b.settled, tc.wantReserved, tc.wantSettled)
			}
			if got := len(fx.rec.recs) == 1; got != tc.wantRecorded {
				t.Errorf("%d records logged, want recorded=%v", len(fx.rec.recs), tc.wantRecorded)
			}
			if len(b.subjects) != 1 || b.subjects[0] != (budget.Subject{Team: "payments", KeyID: "0123456789abcdef", Function: "sample"}) {
				t.Errorf("budgets asked for %+v, want the call's team, key and function once", b.subjects)
			}
		})
	}
}

func confident(p95 float64) route.Estimate {
	return route.Estimate{LatencyMs: 30, LatencyP95Ms: 45, CostUSD: p95 * 2 / 3, CostP95USD: p95, Reliability: 1, DistanceKm: -1, Samples: 500, Confident: true}
}

func near(got, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			return false
		}
	}
	return true
}

// TestBaseline: every priced record says what the call would have cost on
// its policy's static default deployment, for the savings report.
func TestBaseline(t *testing.T) {
	est := func(cost, p95 float64) route.Estimate {
		return route.Estimate{LatencyMs: 50, LatencyP95Ms: 80, CostUSD: cost, CostP95USD: p95, Reliability: 1, DistanceKm: -1, Samples: 500, Confident: true}
	}
	for _, tc := range []struct {
		name     string
		policy   *policy.Policy
		noPrice  bool
		wantFrom string // the attempt that answered
		want     func(actual float64) *float64
	}{
		{"cheapest routes to gcp: the baseline is the first deployment's predicted cost",
			&policy.Policy{Strategy: policy.Cheapest}, false, "gcp", func(float64) *float64 { return ptr(3e-6) }},
		{"cheapest with a default provider: that one's predicted cost",
			&policy.Policy{Strategy: policy.Cheapest, DefaultProvider: catalog.Azure}, false, "gcp", func(float64) *float64 { return ptr(5e-6) }},
		{"static on its default: the actual cost, nothing saved",
			&policy.Policy{Strategy: policy.Static, DefaultProvider: catalog.AWS}, false, "aws", func(a float64) *float64 { return &a }},
		{"no policy: the actual cost", nil, false, "aws", func(a float64) *float64 { return &a }},
		{"an unpriced call has none", &policy.Policy{Strategy: policy.Cheapest}, true, "gcp", func(float64) *float64 { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &recordingEstimator{estimates: map[string]route.Estimate{"aws": est(3e-6, 4e-6), "gcp": est(1e-6, 2e-6), "azure": est(5e-6, 6e-6)}}
			fail := map[string]bool{}
			if tc.noPrice {
				fail["gcp"] = true
			}
			fx := newFixture(t, Options{Estimator: e, Pricer: fakePricer{fail: fail}, Rand: func() float64 { return 0.99 }})
			if tc.policy == nil {
				f := fx.cfg.functions["sample"]
				f.ActivePolicy = ""
				fx.cfg.functions["sample"] = f
			} else {
				p := *tc.policy
				p.Name, p.Function, p.IsActive = "saver", "sample", true
				fx.cfg.policies["saver"] = p
			}
			res, err := fx.svc.Invoke(context.Background(), Call{Function: "sample"})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Record
			if r.DeploymentID != tc.wantFrom {
				t.Fatalf("answered by %s, want %s", r.DeploymentID, tc.wantFrom)
			}
			actual := 0.0
			if r.CostUSD != nil {
				actual = *r.CostUSD
			}
			want := tc.want(actual)
			switch {
			case want == nil && r.BaselineCostUSD != nil:
				t.Errorf("baseline = %g, want none", *r.BaselineCostUSD)
			case want != nil && (r.BaselineCostUSD == nil || math.Abs(*r.BaselineCostUSD-*want) > 1e-15):
				t.Errorf("baseline = %v, want %g", fmtCost(r.BaselineCostUSD), *want)
			}
		})
	}
}
