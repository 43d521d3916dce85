package orchestrator

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/cloud"
	"github.com/fiso-dev/fiso/shared/estimate"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/route"
)

// recordingEstimator returns fixed estimates and records what it is told.
type recordingEstimator struct {
	mu        sync.Mutex
	estimates map[string]route.Estimate
	asked     int
	seen      []string
}

func (r *recordingEstimator) Estimate(context.Context, catalog.Function, estimate.Query) map[string]route.Estimate {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked++
	return r.estimates
}

func (r *recordingEstimator) Observe(_ string, d catalog.Deployment, o estimate.Observation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	state := "ran"
	if !o.Answered {
		state = "failed"
	}
	r.seen = append(r.seen, d.ID+":"+state)
}

func TestEstimatesAndObservations(t *testing.T) {
	est := func(p95, cost float64) route.Estimate {
		return route.Estimate{LatencyMs: p95 / 2, LatencyP95Ms: p95, CostUSD: cost, Reliability: 1, DistanceKm: -1, Samples: 500, Confident: true}
	}
	tests := []struct {
		name      string
		policy    policy.Policy
		script    map[string]func(context.Context) (cloud.Response, error)
		wantAsked int
		wantSeen  []string
		wantFirst string
		wantErr   error
	}{
		{"static without a cap asks for nothing", policy.Policy{Strategy: policy.Static, DefaultProvider: catalog.AWS}, nil,
			0, []string{"aws:ran"}, "aws", nil},
		{"static with a cost cap asks, and the cap drops aws", policy.Policy{Strategy: policy.Static, DefaultProvider: catalog.AWS, CostCapUSD: 2e-6}, nil,
			1, []string{"gcp:ran"}, "gcp", nil},
		{"cheapest routes on the estimates", policy.Policy{Strategy: policy.Cheapest, SLOP95Ms: 500}, nil,
			1, []string{"azure:ran"}, "azure", nil},
		{"a platform failure and a function error are told apart", policy.Policy{Strategy: policy.Fastest},
			map[string]func(context.Context) (cloud.Response, error){"gcp": failWith(cloud.Unreachable), "aws": failWith(cloud.FunctionError)},
			1, []string{"gcp:failed", "aws:ran", "azure:ran"}, "gcp", nil},
		{"a cap that leaves nothing is a conflict naming the cause", policy.Policy{Strategy: policy.Cheapest, CostCapUSD: 1e-9}, nil,
			1, nil, "", route.ErrNoCandidate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := monday
			var mu sync.Mutex
			e := &recordingEstimator{estimates: map[string]route.Estimate{
				"aws": est(100, 3e-6), "gcp": est(50, 1e-6), "azure": est(300, 5e-7),
			}}
			f := newFixture(t, Options{Estimator: e, Rand: func() float64 { return 0.99 }, Now: func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				clock = clock.Add(time.Millisecond) // attempts take time
				return clock
			}})
			p := tc.policy
			p.Name, p.Function, p.IsActive = "saver", "sample", true
			f.cfg.policies["saver"] = p
			for id, a := range tc.script {
				f.inv.answers[id] = a
			}
			res, err := f.svc.Invoke(context.Background(), Call{Function: "sample"})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !errors.Is(err, fault.ErrConflict) {
					t.Fatalf("error = %v, want %v (a conflict)", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.asked != tc.wantAsked || !equal(e.seen, tc.wantSeen) {
				t.Errorf("estimator asked %d times, told %v; want %d and %v", e.asked, e.seen, tc.wantAsked, tc.wantSeen)
			}
			if got := res.Record.Attempts[0].DeploymentID; got != tc.wantFirst {
				t.Errorf("first attempt on %s, want %s", got, tc.wantFirst)
			}
		})
	}
}
