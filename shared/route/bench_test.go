package route

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/testenv"
)

// BenchmarkStaticPlan is the strategy alone: ordering a function's
// deployments under a policy.
func BenchmarkStaticPlan(b *testing.B) {
	f := fn("aws-east", "gcp-central", "azure-eastus", "aws-west", "gcp-west")
	pol := policy.Policy{Name: "p", Strategy: policy.Static, DefaultProvider: catalog.GCP, Failover: []catalog.Provider{catalog.AWS, catalog.Azure}}
	r := NewRouter(nil)
	req := Request{Function: f, Policy: &pol, Now: time.Now()}
	timePlans(b, r, req)
}

// benchPlan plans a three-deployment function with estimates for each,
// under a policy that exercises every rule: residency (allowing all three,
// so the work is done and nothing is lost), a cost cap, a time-window rule
// (checked, not active at the planning time, so exploration can reach every
// deployment) and exploration with a seeded Rand.
func benchPlan(b *testing.B, pol policy.Policy) {
	b.Helper()
	f := fn("aws-east", "gcp-central", "azure-eastus")
	ests := map[string]Estimate{
		"aws-east":     with(est(120, 3.1e-7), func(e *Estimate) { e.DistanceKm = 300 }),
		"gcp-central":  with(est(182, 2.1e-7), func(e *Estimate) { e.DistanceKm = 1200 }),
		"azure-eastus": with(est(240, 1.9e-7), func(e *Estimate) { e.Samples, e.Confident = 20, false }),
	}
	pol.Name = "p"
	pol.CostCapUSD = 1e-6
	pol.AllowedProviders = []catalog.Provider{catalog.AWS, catalog.GCP, catalog.Azure}
	pol.Rules = []policy.Rule{{Window: "22:00-02:00", Days: []int{5, 6}, Prefer: catalog.Azure}}
	rnd := rand.New(rand.NewPCG(1, 2))
	r := NewRouter(nil)
	req := Request{Function: f, Policy: &pol, Now: noon, Estimates: ests, Rand: rnd.Float64}
	timePlans(b, r, req)
}

func BenchmarkCheapestPlan(b *testing.B) {
	benchPlan(b, policy.Policy{Strategy: policy.Cheapest, SLOP95Ms: 250})
}

func BenchmarkFastestPlan(b *testing.B) {
	benchPlan(b, policy.Policy{Strategy: policy.Fastest})
}

func BenchmarkWeightedPlan(b *testing.B) {
	benchPlan(b, policy.Policy{Strategy: policy.Weighted})
}

// BenchmarkSplitPlan draws an arm and then, with a tenth of calls,
// explores.
func BenchmarkSplitPlan(b *testing.B) {
	benchPlan(b, policy.Policy{Strategy: policy.Split, SLOP95Ms: 250, Exploration: ptr(0.1),
		Split: &policy.SplitConfig{Percent: 50, A: policy.Cheapest, B: policy.Weighted}})
}

// BenchmarkStaticPlanWithRules is static with the same rules as the
// predicting strategies' benchmarks.
func BenchmarkStaticPlanWithRules(b *testing.B) {
	benchPlan(b, policy.Policy{Strategy: policy.Static, DefaultProvider: catalog.GCP, Failover: []catalog.Provider{catalog.AWS, catalog.Azure}})
}

// timePlans plans req until the benchmark ends and reports the latencies.
func timePlans(b *testing.B, r *Router, req Request) {
	b.Helper()
	lat := testenv.NewLatencies(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, err := r.Plan(req); err != nil {
			b.Fatal(err)
		}
		lat.Add(time.Since(t0))
	}
	lat.Report(b)
}
