package route

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
)

// est is a trusted estimate: reliable, well sampled, distance unknown.
func est(p95Ms, costUSD float64) Estimate {
	return Estimate{
		LatencyMs: p95Ms / 2, LatencyP95Ms: p95Ms, CostUSD: costUSD, CostP95USD: costUSD * 2,
		ColdStartRisk: 0.1, Reliability: 1, DistanceKm: -1, Samples: 1000, Confident: true,
	}
}

func with(e Estimate, edit func(*Estimate)) Estimate {
	edit(&e)
	return e
}

// fixed returns a Rand that yields vs in turn, then repeats the last.
func fixed(vs ...float64) func() float64 {
	i := 0
	return func() float64 {
		v := vs[min(i, len(vs)-1)]
		i++
		return v
	}
}

func seeded(seed uint64) func() float64 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return r.Float64
}

// noon is a Wednesday (day 2), when no test rule is active unless it says so.
var noon = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func planWith(t *testing.T, f catalog.Function, pol policy.Policy, ests map[string]Estimate, r func() float64) Plan {
	t.Helper()
	if pol.Name == "" {
		pol.Name = "p"
	}
	p, err := NewRouter(nil).Plan(Request{Function: f, Policy: &pol, Now: noon, Estimates: ests, Rand: r})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	checkPlan(t, f, pol, p)
	return p
}

// checkPlan holds what every plan owes: candidates in step with the order,
// every allowed deployment at most once, nothing residency forbids.
func checkPlan(t *testing.T, f catalog.Function, pol policy.Policy, p Plan) {
	t.Helper()
	if len(p.Order) != len(p.Decision.Candidates) {
		t.Fatalf("%d deployments but %d candidates", len(p.Order), len(p.Decision.Candidates))
	}
	seen := map[string]bool{}
	for i, d := range p.Order {
		c := p.Decision.Candidates[i]
		if c.DeploymentID != d.ID || c.Provider != d.Provider || c.Region != d.Region || c.Reason == "" {
			t.Errorf("candidate %d = %+v, out of step with deployment %s", i, c, d.ID)
		}
		if seen[d.ID] {
			t.Errorf("%s is planned twice", d.ID)
		}
		seen[d.ID] = true
		if !pol.Allows(d) {
			t.Errorf("%s is planned but the policy does not allow it", d.ID)
		}
	}
	if len(p.Order) > 0 && p.Decision.Reason == "" {
		t.Error("decision has no reason")
	}
}

func TestCheapest(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus")
	tests := []struct {
		name   string
		slo    float64
		def    catalog.Provider
		ests   map[string]Estimate
		want   []string
		reason string
	}{
		{"cheapest under the SLO first, the SLO's misses last", 250, "", map[string]Estimate{
			"aws-east": est(300, 1e-7), "gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"gcp-central", "azure-eastus", "aws-east"}, "cheapest predicted cost $0.0000002 with p95 180 ms <= SLO 250 ms; gcp-central is 60% cheaper than azure-eastus"},
		{"no SLO: cheapest first", 0, "", map[string]Estimate{
			"aws-east": est(300, 1e-7), "gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"aws-east", "gcp-central", "azure-eastus"}, "cheapest predicted cost $0.0000001 with p95 300 ms; aws-east is 50% cheaper"},
		{"misses ordered by p95", 50, "", map[string]Estimate{
			"aws-east": est(40, 9e-7), "gcp-central": est(300, 1e-7), "azure-eastus": est(100, 2e-7),
		}, []string{"aws-east", "azure-eastus", "gcp-central"}, "azure-eastus is cheaper ($0.0000002) but its p95 100 ms over the SLO"},
		{"SLO infeasible for all: fastest first", 50, "", map[string]Estimate{
			"aws-east": est(300, 1e-7), "gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"azure-eastus", "gcp-central", "aws-east"}, "no deployment is predicted to meet the SLO of 50 ms; best effort, fastest first: azure-eastus has the lowest predicted p95 100 ms"},
		{"tie on cost: lower p95", 0, "", map[string]Estimate{
			"aws-east": est(200, 1e-7), "gcp-central": est(150, 1e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"gcp-central", "aws-east", "azure-eastus"}, "gcp-central ties aws-east on cost and goes first on lower p95"},
		{"tie on cost and p95: default provider", 0, catalog.Azure, map[string]Estimate{
			"aws-east": est(200, 1e-7), "gcp-central": est(200, 1e-7), "azure-eastus": est(200, 1e-7),
		}, []string{"azure-eastus", "aws-east", "gcp-central"}, "azure-eastus ties aws-east on cost and goes first on the default provider"},
		{"tie on everything: declared order", 0, "", map[string]Estimate{
			"aws-east": est(200, 1e-7), "gcp-central": est(200, 1e-7), "azure-eastus": est(200, 1e-7),
		}, []string{"aws-east", "gcp-central", "azure-eastus"}, "aws-east ties gcp-central on cost and goes first in declared order"},
		{"provider down: last resort", 0, "", map[string]Estimate{
			"aws-east": with(est(100, 1e-8), func(e *Estimate) { e.Reliability = 0 }), "gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"gcp-central", "azure-eastus", "aws-east"}, "1 predicted down (reliability under 0.5) tried last"},
		{"estimate missing: after the estimated", 0, "", map[string]Estimate{
			"gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"gcp-central", "azure-eastus", "aws-east"}, "1 without the predictions to rank after the ranked ones"},
		{"no p95 prediction: ranked by cost without an SLO", 0, "", map[string]Estimate{
			"aws-east": est(math.NaN(), 1e-9), "gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"aws-east", "gcp-central", "azure-eastus"}, "cheapest predicted cost $0.000000001 (no p95 prediction); aws-east is 100% cheaper"},
		{"no p95 prediction: not placed with an SLO", 250, "", map[string]Estimate{
			"aws-east": est(0, 1e-9), "gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"gcp-central", "azure-eastus", "aws-east"}, "1 without the predictions to rank"},
		{"unpriced (NaN cost) but meeting the SLO: after the priced, before the misses", 250, "", map[string]Estimate{
			"aws-east": est(100, math.NaN()), "gcp-central": est(180, 2e-7), "azure-eastus": est(300, 1e-7),
		}, []string{"gcp-central", "aws-east", "azure-eastus"}, "; aws-east, next, meets the SLO but has no cost prediction"},
		{"none priced: fastest of those meeting the SLO", 250, "", map[string]Estimate{
			"aws-east": est(200, math.NaN()), "gcp-central": est(180, math.NaN()), "azure-eastus": est(300, 1e-7),
		}, []string{"gcp-central", "aws-east", "azure-eastus"}, "no candidate that meets the SLO has a cost prediction: fastest of them first, gcp-central at p95 180 ms <= SLO 250 ms"},
		{"unpriced but missing the SLO: ranked by p95 among the misses", 150, "", map[string]Estimate{
			"aws-east": est(200, math.NaN()), "gcp-central": est(180, 2e-7), "azure-eastus": est(300, 5e-7),
		}, []string{"gcp-central", "aws-east", "azure-eastus"}, "no deployment is predicted to meet the SLO of 150 ms; best effort, fastest first: gcp-central has the lowest predicted p95 180 ms ($0.0000002); gcp-central is 20 ms faster than aws-east"},
		{"nothing seen yet (p95 0, cost NaN) like the estimator says", 0, "", map[string]Estimate{
			"aws-east":    with(est(0, math.NaN()), func(e *Estimate) { e.LatencyMs, e.Samples, e.Confident = 0, 0, false }),
			"gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"gcp-central", "azure-eastus", "aws-east"}, "1 without the predictions to rank"},
		{"flaky (reliability 0.6) is not down", 0, "", map[string]Estimate{
			"aws-east": with(est(100, 1e-8), func(e *Estimate) { e.Reliability = 0.6 }), "gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"aws-east", "gcp-central", "azure-eastus"}, "aws-east is 95% cheaper"},
		{"mostly failing (reliability 0.4) is down", 0, "", map[string]Estimate{
			"aws-east": with(est(100, 1e-8), func(e *Estimate) { e.Reliability = 0.4 }), "gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"gcp-central", "azure-eastus", "aws-east"}, "1 predicted down"},
		{"no estimates: default provider then declared order", 250, catalog.GCP, nil,
			[]string{"gcp-central", "aws-east", "azure-eastus"}, "no candidate has cost and p95 predictions: gcp-central first on the default provider"},
		{"all down", 0, "", map[string]Estimate{
			"aws-east":     with(est(300, 1e-7), func(e *Estimate) { e.Reliability = 0 }),
			"gcp-central":  with(est(100, 2e-7), func(e *Estimate) { e.Reliability = 0 }),
			"azure-eastus": with(est(100, 3e-7), func(e *Estimate) { e.Reliability = 0 }),
		}, []string{"aws-east", "gcp-central", "azure-eastus"}, "every candidate is predicted down (reliability under 0.5); aws-east first as a last resort"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol := policy.Policy{Strategy: policy.Cheapest, SLOP95Ms: tc.slo, DefaultProvider: tc.def}
			p := planWith(t, f, pol, tc.ests, nil)
			if diff := cmp.Diff(tc.want, ids(p)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if p.Decision.Strategy != "cheapest" || p.Decision.Explored || p.Decision.Arm != "" {
				t.Errorf("decision = %+v, want strategy cheapest, not explored, no arm", p.Decision)
			}
			if !strings.Contains(p.Decision.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", p.Decision.Reason, tc.reason)
			}
		})
	}
}

// TestReasonExample pins the reason's wording and number formats.
func TestReasonExample(t *testing.T) {
	f := fn("aws-us-east-1", "gcp-us-central1")
	pol := policy.Policy{Strategy: policy.Cheapest, SLOP95Ms: 250}
	p := planWith(t, f, pol, map[string]Estimate{
		"aws-us-east-1": est(120, 3.05e-7), "gcp-us-central1": est(182, 2.1e-7),
	}, nil)
	want := "gcp-us-central1 has the cheapest predicted cost $0.00000021 with p95 182 ms <= SLO 250 ms; gcp-us-central1 is 31% cheaper than aws-us-east-1"
	if p.Decision.Reason != want {
		t.Errorf("reason = %q\nwant       %q", p.Decision.Reason, want)
	}
}

func TestFastest(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus")
	tests := []struct {
		name   string
		cap    float64
		ests   map[string]Estimate
		want   []string
		reason string
	}{
		{"ascending p95", 0, map[string]Estimate{
			"aws-east": est(300, 1e-7), "gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"azure-eastus", "gcp-central", "aws-east"}, "fastest predicted p95 100 ms at $0.0000005; azure-eastus is 80 ms faster than gcp-central"},
		{"under the cost cap", 3e-7, map[string]Estimate{
			"aws-east": est(300, 1e-7), "gcp-central": est(180, 2e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"gcp-central", "aws-east"}, "fastest predicted p95 180 ms at $0.0000002 <= cost cap $0.0000003; gcp-central is 120 ms faster than aws-east; 1 over the cost cap $0.0000003 left out"},
		{"tie on p95: lower cost", 0, map[string]Estimate{
			"aws-east": est(100, 3e-7), "gcp-central": est(100, 2e-7), "azure-eastus": est(300, 1e-7),
		}, []string{"gcp-central", "aws-east", "azure-eastus"}, "gcp-central ties aws-east on p95 and goes first on lower cost"},
		{"provider down and one unknown", 0, map[string]Estimate{
			"aws-east": with(est(10, 1e-7), func(e *Estimate) { e.Reliability = 0 }), "azure-eastus": est(100, 5e-7),
		}, []string{"azure-eastus", "gcp-central", "aws-east"}, "fastest predicted p95 100 ms"},
		{"cost cap keeps the unknown", 3e-7, map[string]Estimate{
			"aws-east": est(300, 4e-7), "azure-eastus": est(100, 5e-7),
		}, []string{"gcp-central"}, "no candidate has a p95 prediction: gcp-central first in declared order; 2 over the cost cap $0.0000003 left out"},
		{"unpriced: ranked by p95, kept by the cap", 3e-7, map[string]Estimate{
			"aws-east": est(300, 1e-7), "gcp-central": est(50, math.NaN()), "azure-eastus": est(100, 5e-7),
		}, []string{"gcp-central", "aws-east"}, "fastest predicted p95 50 ms (no cost prediction) <= cost cap $0.0000003"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol := policy.Policy{Strategy: policy.Fastest, CostCapUSD: tc.cap}
			p := planWith(t, f, pol, tc.ests, nil)
			if diff := cmp.Diff(tc.want, ids(p)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if !strings.Contains(p.Decision.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", p.Decision.Reason, tc.reason)
			}
		})
	}
}

func scores(p Plan) []float64 {
	out := make([]float64, len(p.Decision.Candidates))
	for i, c := range p.Decision.Candidates {
		out[i] = math.NaN()
		if c.Score != nil {
			out[i] = *c.Score
		}
	}
	return out
}

func TestWeighted(t *testing.T) {
	approx := cmp.Comparer(func(a, b float64) bool { return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-9 })
	f := fn("aws-east", "gcp-central", "azure-eastus", "gcp-west")
	dist := func(e Estimate, km float64) Estimate { e.DistanceKm = km; return e }
	mixed := map[string]Estimate{
		"aws-east":     dist(est(100, 3e-7), 100),
		"gcp-central":  dist(est(200, 1e-7), 1100),
		"azure-eastus": with(est(300, 0.5e-7), func(e *Estimate) { e.Reliability = 0.5 }),
		// gcp-west has no estimate: not scored, after the scored ones.
	}
	same := map[string]Estimate{
		"aws-east": dist(est(100, 1e-7), 10), "gcp-central": dist(est(100, 1e-7), 10),
		"azure-eastus": dist(est(100, 1e-7), 10), "gcp-west": dist(est(100, 1e-7), 10),
	}
	tests := []struct {
		name       string
		w          *policy.Weights
		def        catalog.Provider
		ests       map[string]Estimate
		want       []string
		wantScores []float64
		reason     string
	}{
		// Across the three estimated: latency 1, .5, 0; cost 0, .8, 1;
		// reliability 1, 1, 0; affinity 1, 0, .5 (unknown distance).
		{"default weights, min-max across the candidates", nil, "", mixed,
			[]string{"aws-east", "gcp-central", "azure-eastus", "gcp-west"}, []float64{0.7, 0.64, 0.35, math.NaN()},
			"highest weighted score 0.700 (weights latency 0.4, cost 0.3, reliability 0.2, affinity 0.1); gcp-central scores 0.640"},
		{"cost only: equal costs normalise equally", &policy.Weights{Cost: 1}, "", map[string]Estimate{
			"aws-east": est(100, 3e-7), "gcp-central": est(200, 1e-7), "azure-eastus": est(300, 1e-7), "gcp-west": est(50, 2e-7),
		}, []string{"gcp-central", "azure-eastus", "gcp-west", "aws-east"}, []float64{1, 1, 0.5, 0},
			"gcp-central ties azure-eastus and goes first in declared order"},
		{"all equal: everyone scores 1, ties to the default", nil, catalog.GCP, same,
			[]string{"gcp-central", "gcp-west", "aws-east", "azure-eastus"}, []float64{1, 1, 1, 1},
			"gcp-central ties gcp-west and goes first in declared order"},
		{"unpriced scores the worst on cost", &policy.Weights{Latency: 0.5, Cost: 0.5}, "", map[string]Estimate{
			"aws-east": est(100, math.NaN()), "gcp-central": est(200, 1e-7), "azure-eastus": est(300, 2e-7), "gcp-west": est(0, 1e-7),
		}, []string{"gcp-central", "aws-east", "gcp-west", "azure-eastus"}, []float64{0.75, 0.5, 0.5, 0},
			"gcp-central has the highest weighted score 0.750 (weights latency 0.5, cost 0.5, reliability 0, affinity 0); aws-east scores 0.500; 2 missing a latency or cost prediction scored the worst on that figure"},
		{"latency only, divided by the weights' sum", &policy.Weights{Latency: 2}, "", mixed,
			[]string{"aws-east", "gcp-central", "azure-eastus", "gcp-west"}, []float64{1, 0.5, 0, math.NaN()},
			"aws-east has the highest weighted score 1.000 (weights latency 2, cost 0, reliability 0, affinity 0); gcp-central scores 0.500; 1 without the predictions to rank after the ranked ones"},
		{"provider down goes last despite its score", &policy.Weights{Latency: 1}, "", map[string]Estimate{
			"aws-east": with(est(10, 1e-7), func(e *Estimate) { e.Reliability = 0 }), "gcp-central": est(100, 1e-7),
			"azure-eastus": est(200, 1e-7), "gcp-west": est(300, 1e-7),
		}, []string{"gcp-central", "azure-eastus", "gcp-west", "aws-east"}, []float64{1 - 90.0/290, 1 - 190.0/290, 0, 1},
			"1 predicted down (reliability under 0.5) tried last"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol := policy.Policy{Strategy: policy.Weighted, Weights: tc.w, DefaultProvider: tc.def}
			p := planWith(t, f, pol, tc.ests, nil)
			if diff := cmp.Diff(tc.want, ids(p)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantScores, scores(p), approx); diff != "" {
				t.Errorf("scores (-want +got):\n%s", diff)
			}
			if !strings.Contains(p.Decision.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", p.Decision.Reason, tc.reason)
			}
		})
	}
}

func TestCandidateFigures(t *testing.T) {
	f := fn("aws-east", "gcp-central")
	e := est(180, 2e-7)
	ests := map[string]Estimate{"aws-east": e}
	for _, s := range []policy.Strategy{policy.Cheapest, policy.Fastest, policy.Weighted, policy.Static} {
		t.Run(string(s), func(t *testing.T) {
			pol := policy.Policy{Strategy: s, DefaultProvider: catalog.AWS}
			p := planWith(t, f, pol, ests, nil)
			c := p.Decision.Candidates[0]
			got := []float64{*c.PredictedLatencyMs, *c.PredictedP95Ms, *c.PredictedCostUSD, *c.ColdStartRisk}
			if diff := cmp.Diff([]float64{e.LatencyMs, e.LatencyP95Ms, e.CostUSD, e.ColdStartRisk}, got); diff != "" {
				t.Errorf("figures (-want +got):\n%s", diff)
			}
			if (c.Score != nil) != (s != policy.Static) {
				t.Errorf("score = %v, want one for every predicting strategy and none for static", c.Score)
			}
			unknown := p.Decision.Candidates[1]
			if unknown.PredictedLatencyMs != nil || unknown.PredictedP95Ms != nil || unknown.PredictedCostUSD != nil || unknown.ColdStartRisk != nil {
				t.Errorf("candidate without an estimate has figures: %+v", unknown)
			}
		})
	}
}

// allStrategies are policies for each strategy, split arms included.
func allStrategies() []policy.Policy {
	return []policy.Policy{
		{Strategy: policy.Static, DefaultProvider: catalog.GCP},
		{Strategy: policy.Cheapest, SLOP95Ms: 200},
		{Strategy: policy.Fastest},
		{Strategy: policy.Weighted},
		{Strategy: policy.Split, DefaultProvider: catalog.AWS, Split: &policy.SplitConfig{Percent: 50, A: policy.Static, B: policy.Weighted}},
		{Strategy: policy.Split, Split: &policy.SplitConfig{Percent: 50, A: policy.Cheapest, B: policy.Fastest}},
	}
}

func name(pol policy.Policy) string {
	if pol.Split != nil {
		return string(pol.Split.A) + "/" + string(pol.Split.B)
	}
	return string(pol.Strategy)
}

func TestResidency(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus", "aws-west", "gcp-west")
	ests := map[string]Estimate{
		"aws-east": est(100, 1e-7), "gcp-central": est(50, 1e-8), "azure-eastus": est(10, 1e-9),
		"aws-west": est(200, 2e-7), "gcp-west": est(70, 3e-8),
	}
	rules := []policy.Rule{{Window: "00:00-24:00", Prefer: catalog.AWS}}
	tests := []struct {
		name      string
		providers []catalog.Provider
		regions   []string
		want      []string // the allowed set, in declared order
	}{
		{"providers", []catalog.Provider{catalog.AWS, catalog.GCP}, nil, []string{"aws-east", "gcp-central", "aws-west", "gcp-west"}},
		{"regions", nil, []string{"west", "eastus"}, []string{"azure-eastus", "aws-west", "gcp-west"}},
		{"both", []catalog.Provider{catalog.GCP}, []string{"west"}, []string{"gcp-west"}},
	}
	for _, tc := range tests {
		for _, pol := range allStrategies() {
			t.Run(tc.name+"/"+name(pol), func(t *testing.T) {
				pol.AllowedProviders, pol.AllowedRegions, pol.Rules = tc.providers, tc.regions, rules
				if pol.DefaultProvider != "" && !pol.Allows(catalog.Deployment{Provider: pol.DefaultProvider, Region: "west"}) {
					pol.DefaultProvider = catalog.GCP
				}
				for _, r := range []func() float64{nil, fixed(0.9, 0), fixed(0.1, 0)} {
					p := planWith(t, f, pol, ests, r)
					got := ids(p)
					if len(got) != len(tc.want) {
						t.Fatalf("order %v, want every one of %v", got, tc.want)
					}
					for _, id := range tc.want {
						if !strings.Contains(strings.Join(got, " "), id) {
							t.Errorf("order %v lacks %s", got, id)
						}
					}
				}
			})
		}
	}
	t.Run("nothing allowed", func(t *testing.T) {
		for _, pol := range allStrategies() {
			pol.Name, pol.AllowedRegions = "p", []string{"mars"}
			_, err := NewRouter(nil).Plan(Request{Function: f, Policy: &pol, Estimates: ests})
			if !errors.Is(err, ErrNoCandidate) || !errors.Is(err, fault.ErrConflict) || !strings.Contains(err.Error(), "allowed_regions [mars]") {
				t.Errorf("%s: err = %v, want ErrNoCandidate naming the residency rule", name(pol), err)
			}
		}
	})
}

func TestCostCap(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus")
	ests := map[string]Estimate{"aws-east": est(100, 4e-7), "gcp-central": est(50, 2e-7), "azure-eastus": est(10, 3e-7)}
	for _, pol := range allStrategies() {
		t.Run(name(pol), func(t *testing.T) {
			pol.CostCapUSD = 2.5e-7
			p := planWith(t, f, pol, ests, nil)
			if diff := cmp.Diff([]string{"gcp-central"}, ids(p)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if !strings.Contains(p.Decision.Reason, "2 over the cost cap $0.00000025 left out") {
				t.Errorf("reason = %q, want it to count what the cap left out", p.Decision.Reason)
			}

			pol.Name, pol.CostCapUSD = "p", 1e-7
			_, err := NewRouter(nil).Plan(Request{Function: f, Policy: &pol, Estimates: ests})
			if !errors.Is(err, ErrNoCandidate) || !errors.Is(err, fault.ErrConflict) {
				t.Fatalf("err = %v, want ErrNoCandidate", err)
			}
			if want := "cost cap $0.0000001 per call: every allowed deployment is predicted to cost more, the least gcp-central at $0.0000002"; !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, want it to contain %q", err, want)
			}
		})
	}
}

func TestTimeWindowRules(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus", "gcp-west")
	ests := map[string]Estimate{
		"aws-east": est(100, 1e-7), "gcp-central": est(100, 2e-7), "azure-eastus": est(100, 3e-7), "gcp-west": est(100, 4e-7),
	}
	// 2025-01-03 is a Friday (day 4).
	fri := func(hhmm string) time.Time {
		tm, _ := time.Parse("2006-01-02 15:04", "2025-01-03 "+hhmm)
		return tm
	}
	sat := func(hhmm string) time.Time { return fri(hhmm).Add(24 * time.Hour) }
	night := policy.Rule{Window: "22:00-02:00", Days: []int{4}, Prefer: catalog.GCP}
	office := policy.Rule{Window: "09:00-17:00", Days: []int{0, 1, 2, 3, 4}, Prefer: catalog.Azure}
	tests := []struct {
		name     string
		strategy policy.Strategy
		rules    []policy.Rule
		now      time.Time
		want     []string
		reason   string
	}{
		{"no rule active", policy.Cheapest, []policy.Rule{night, office}, fri("08:00"),
			[]string{"aws-east", "gcp-central", "azure-eastus", "gcp-west"}, "cheapest predicted cost"},
		{"office hours prefer azure", policy.Cheapest, []policy.Rule{night, office}, fri("12:00"),
			[]string{"azure-eastus", "aws-east", "gcp-central", "gcp-west"},
			"rules[1] (09:00-17:00 UTC on Mon,Tue,Wed,Thu,Fri) prefers azure: azure-eastus goes first; otherwise aws-east has the cheapest predicted cost $0.0000001"},
		{"not on Saturday", policy.Cheapest, []policy.Rule{office}, sat("12:00"),
			[]string{"aws-east", "gcp-central", "azure-eastus", "gcp-west"}, "cheapest"},
		{"Friday night keeps the strategy's order within the group", policy.Cheapest, []policy.Rule{night, office}, fri("23:00"),
			[]string{"gcp-central", "gcp-west", "aws-east", "azure-eastus"}, "rules[0] (22:00-02:00 UTC on Fri) prefers gcp: gcp-central goes first"},
		{"Friday's window runs past midnight into Saturday", policy.Cheapest, []policy.Rule{night}, sat("01:30"),
			[]string{"gcp-central", "gcp-west", "aws-east", "azure-eastus"}, "rules[0]"},
		{"Friday's early hours belong to Thursday's window", policy.Cheapest, []policy.Rule{night}, fri("01:30"),
			[]string{"aws-east", "gcp-central", "azure-eastus", "gcp-west"}, "cheapest"},
		{"first active rule wins", policy.Cheapest, []policy.Rule{{Window: "00:00-24:00", Prefer: catalog.GCP}, office}, fri("12:00"),
			[]string{"gcp-central", "gcp-west", "aws-east", "azure-eastus"}, "rules[0]"},
		{"preferred provider first already", policy.Cheapest, []policy.Rule{{Window: "00:00-24:00", Prefer: catalog.AWS}}, fri("12:00"),
			[]string{"aws-east", "gcp-central", "azure-eastus", "gcp-west"}, "prefers aws, first already; aws-east has the cheapest"},
		{"static too", policy.Static, []policy.Rule{office}, fri("12:00"),
			[]string{"azure-eastus", "gcp-central", "aws-east", "gcp-west"}, "prefers azure: azure-eastus goes first; otherwise default provider gcp, then failover"},
		{"weighted too", policy.Weighted, []policy.Rule{night}, sat("00:00"),
			[]string{"gcp-central", "gcp-west", "aws-east", "azure-eastus"}, "rules[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol := policy.Policy{Name: "p", Strategy: tc.strategy, Rules: tc.rules}
			if tc.strategy == policy.Static {
				pol.DefaultProvider = catalog.GCP
			}
			p, err := NewRouter(nil).Plan(Request{Function: f, Policy: &pol, Now: tc.now, Estimates: ests})
			if err != nil {
				t.Fatal(err)
			}
			checkPlan(t, f, pol, p)
			if diff := cmp.Diff(tc.want, ids(p)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if !strings.Contains(p.Decision.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", p.Decision.Reason, tc.reason)
			}
		})
	}
}

func TestRuleLeavesDownDeploymentsLast(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus")
	ests := map[string]Estimate{
		"aws-east": est(100, 1e-7), "gcp-central": est(100, 2e-7),
		"azure-eastus": with(est(100, 3e-7), func(e *Estimate) { e.Reliability = 0 }),
	}
	pol := policy.Policy{Strategy: policy.Cheapest, Rules: []policy.Rule{{Window: "00:00-24:00", Prefer: catalog.Azure}}}
	p := planWith(t, f, pol, ests, nil)
	if diff := cmp.Diff([]string{"aws-east", "gcp-central", "azure-eastus"}, ids(p)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if !strings.Contains(p.Decision.Reason, "prefers azure, which has no live allowed deployment") {
		t.Errorf("reason = %q, want it to say the rule's provider has nothing live", p.Decision.Reason)
	}
}

func TestSplit(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus")
	ests := map[string]Estimate{"aws-east": est(300, 1e-7), "gcp-central": est(50, 2e-7), "azure-eastus": est(100, 3e-7)}
	cheapest := []string{"aws-east", "gcp-central", "azure-eastus"}
	fastest := []string{"gcp-central", "azure-eastus", "aws-east"}
	tests := []struct {
		name     string
		percent  float64
		r        func() float64
		arm      string
		strategy string
		want     []string
		reason   string
	}{
		{"nil Rand takes arm a", 30, nil, "a", "cheapest", cheapest, "split arm a (cheapest, 30% of calls): aws-east has the cheapest predicted cost"},
		{"draw under the percent: a", 30, fixed(0.2999), "a", "cheapest", cheapest, "split arm a"},
		{"draw at the percent: b", 30, fixed(0.3), "b", "fastest", fastest, "split arm b (fastest, 70% of calls): gcp-central has the fastest predicted p95"},
		{"0%: always b", 0, fixed(0), "b", "fastest", fastest, "split arm b"},
		{"100%: always a", 100, fixed(0.99999), "a", "cheapest", cheapest, "split arm a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pol := policy.Policy{Strategy: policy.Split, Split: &policy.SplitConfig{Percent: tc.percent, A: policy.Cheapest, B: policy.Fastest}}
			p := planWith(t, f, pol, ests, tc.r)
			if p.Decision.Arm != tc.arm || p.Decision.Strategy != tc.strategy || p.Decision.Policy != "p" {
				t.Errorf("decision arm %q strategy %q policy %q, want arm %q strategy %q policy p",
					p.Decision.Arm, p.Decision.Strategy, p.Decision.Policy, tc.arm, tc.strategy)
			}
			if diff := cmp.Diff(tc.want, ids(p)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if !strings.HasPrefix(p.Decision.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to start with %q", p.Decision.Reason, tc.reason)
			}
		})
	}

	t.Run("arms' share over many draws", func(t *testing.T) {
		pol := policy.Policy{Name: "p", Strategy: policy.Split, Split: &policy.SplitConfig{Percent: 30, A: policy.Cheapest, B: policy.Fastest}, Exploration: new(float64)}
		r, a, n := seeded(7), 0, 20000
		for range n {
			p, err := NewRouter(nil).Plan(Request{Function: f, Policy: &pol, Estimates: ests, Rand: r})
			if err != nil {
				t.Fatal(err)
			}
			if p.Decision.Arm == "a" {
				a++
			}
		}
		if share := float64(a) / float64(n); math.Abs(share-0.3) > 0.02 {
			t.Errorf("arm a share = %.3f, want about 0.3", share)
		}
	})

	t.Run("plugged-in arm", func(t *testing.T) {
		pol := policy.Policy{Name: "p", Strategy: policy.Split, Split: &policy.SplitConfig{Percent: 100, A: policy.Cheapest, B: policy.Fastest}}
		r := NewRouter(map[policy.Strategy]Strategy{policy.Cheapest: reverse{}})
		p, err := r.Plan(Request{Function: f, Policy: &pol, Estimates: ests})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"azure-eastus", "gcp-central", "aws-east"}, ids(p)); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		if p.Decision.Arm != "a" || p.Decision.Strategy != "cheapest" || p.Decision.Policy != "p" {
			t.Errorf("decision arm %q strategy %q policy %q, want arm a, strategy cheapest, policy p", p.Decision.Arm, p.Decision.Strategy, p.Decision.Policy)
		}
	})

	t.Run("no configuration", func(t *testing.T) {
		pol := policy.Policy{Name: "p", Strategy: policy.Split}
		if _, err := NewRouter(nil).Plan(Request{Function: f, Policy: &pol}); err == nil {
			t.Error("Plan of a split without configuration succeeded")
		}
	})
}

func TestExploration(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus", "gcp-west")
	sampled := func(e Estimate, n int, confident bool) Estimate {
		e.Samples, e.Confident = n, confident
		return e
	}
	ests := map[string]Estimate{
		"aws-east":     est(100, 1e-7),                     // the winner, confident
		"gcp-central":  sampled(est(100, 2e-7), 40, false), // unconfident
		"azure-eastus": sampled(est(100, 3e-7), 5, false),  // least sampled: explored
		"gcp-west":     sampled(est(100, 4e-7), 1, true),   // few samples but confident
	}
	share := func(t *testing.T, pol policy.Policy, ests map[string]Estimate, r func() float64, n int) (float64, Plan) {
		t.Helper()
		pol.Name = "p"
		explored, last := 0, Plan{}
		for range n {
			p, err := NewRouter(nil).Plan(Request{Function: f, Policy: &pol, Now: noon, Estimates: ests, Rand: r})
			if err != nil {
				t.Fatal(err)
			}
			if p.Decision.Explored {
				explored++
				last = p
			}
		}
		return float64(explored) / float64(n), last
	}

	for _, tc := range []struct {
		name string
		pol  policy.Policy
		want float64
	}{
		{"cheapest, default share", policy.Policy{Strategy: policy.Cheapest}, policy.DefaultExploration},
		{"fastest, 10%", policy.Policy{Strategy: policy.Fastest, Exploration: ptr(0.1)}, 0.1},
		{"weighted, 50%", policy.Policy{Strategy: policy.Weighted, Exploration: ptr(0.5)}, 0.5},
		{"cheapest arm of a split", policy.Policy{Strategy: policy.Split, Exploration: ptr(0.2),
			Split: &policy.SplitConfig{Percent: 50, A: policy.Cheapest, B: policy.Static}, DefaultProvider: catalog.AWS}, 0.1},
		{"0% never", policy.Policy{Strategy: policy.Cheapest, Exploration: ptr(0.0)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 50000
			got, p := share(t, tc.pol, ests, seeded(42), n)
			// Four standard deviations of a binomial share.
			if tol := 4*math.Sqrt(tc.want*(1-tc.want)/n) + 1e-9; math.Abs(got-tc.want) > tol {
				t.Errorf("explored share = %.4f, want %.4f ± %.4f", got, tc.want, tol)
			}
			if tc.want == 0 {
				return
			}
			if p.Order[0].ID != "azure-eastus" || p.Decision.Candidates[0].Reason != reasonExplored {
				t.Errorf("explored plan starts with %s (%q), want the least-sampled unconfident azure-eastus", p.Order[0].ID, p.Decision.Candidates[0].Reason)
			}
			if !strings.Contains(p.Decision.Reason, "azure-eastus has the fewest samples (5) among the unconfident candidates; otherwise ") {
				t.Errorf("reason = %q, want it to say what was explored", p.Decision.Reason)
			}
			checkPlan(t, f, tc.pol, p)
		})
	}

	t.Run("nil Rand never explores", func(t *testing.T) {
		if got, _ := share(t, policy.Policy{Strategy: policy.Cheapest, Exploration: ptr(0.5)}, ests, nil, 100); got != 0 {
			t.Errorf("explored share = %v, want 0", got)
		}
	})
	t.Run("all confident: never explores", func(t *testing.T) {
		confident := map[string]Estimate{}
		for id, e := range ests {
			e.Confident = true
			confident[id] = e
		}
		if got, _ := share(t, policy.Policy{Strategy: policy.Cheapest, Exploration: ptr(0.5)}, confident, seeded(1), 1000); got != 0 {
			t.Errorf("explored share = %v, want 0", got)
		}
	})
	t.Run("the least known is the winner: a runner-up is explored", func(t *testing.T) {
		// Otherwise a winner that is as unknown as the rest (every
		// deployment, at first) would starve them of calls.
		first := map[string]Estimate{}
		for id, e := range ests {
			first[id] = e
		}
		first["aws-east"] = sampled(est(100, 1e-7), 0, false)
		got, _ := share(t, policy.Policy{Strategy: policy.Cheapest, Exploration: ptr(0.5)}, first, seeded(1), 2000)
		if got < 0.45 || got > 0.55 {
			t.Errorf("explored share = %v, want about 0.5", got)
		}
		p := planWith(t, f, policy.Policy{Strategy: policy.Cheapest, Exploration: ptr(0.5)}, first, fixed(0))
		if p.Order[0].ID == "aws-east" || !p.Decision.Explored {
			t.Errorf("explored plan starts with %s (explored %v), want a runner-up", p.Order[0].ID, p.Decision.Explored)
		}
	})
	t.Run("a deployment without an estimate is explored first", func(t *testing.T) {
		missing := map[string]Estimate{"aws-east": est(100, 1e-7), "gcp-central": est(100, 2e-7), "azure-eastus": sampled(est(100, 3e-7), 5, false)}
		p := planWith(t, f, policy.Policy{Strategy: policy.Fastest, Exploration: ptr(0.5)}, missing, fixed(0))
		if diff := cmp.Diff([]string{"gcp-west", "aws-east", "gcp-central", "azure-eastus"}, ids(p)); diff != "" || !p.Decision.Explored {
			t.Errorf("explored %v, order (-want +got):\n%s", p.Decision.Explored, diff)
		}
	})
	t.Run("never a deployment predicted down", func(t *testing.T) {
		down := map[string]Estimate{
			"aws-east": est(100, 1e-7), "gcp-central": est(100, 2e-7), "gcp-west": est(100, 3e-7),
			"azure-eastus": sampled(with(est(100, 3e-7), func(e *Estimate) { e.Reliability = 0 }), 0, false),
		}
		p := planWith(t, f, policy.Policy{Strategy: policy.Cheapest, Exploration: ptr(0.5)}, down, fixed(0))
		if p.Decision.Explored {
			t.Errorf("explored %s, predicted down", p.Order[0].ID)
		}
	})
	t.Run("within an active rule's provider", func(t *testing.T) {
		pol := policy.Policy{Strategy: policy.Cheapest, Exploration: ptr(0.5), Rules: []policy.Rule{{Window: "00:00-24:00", Prefer: catalog.GCP}}}
		p := planWith(t, f, pol, ests, fixed(0))
		// gcp-west is confident, so gcp-central (unconfident) would be
		// explored, but it is the group's first already.
		if p.Decision.Explored || p.Order[0].ID != "gcp-central" {
			t.Errorf("explored %v, first %s; want no exploration outside the rule's provider", p.Decision.Explored, p.Order[0].ID)
		}
	})
	t.Run("static never explores", func(t *testing.T) {
		if got, _ := share(t, policy.Policy{Strategy: policy.Static, DefaultProvider: catalog.AWS, Exploration: ptr(0.5)}, ests, seeded(3), 1000); got != 0 {
			t.Errorf("explored share = %v, want 0", got)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestEveryDeploymentOnce plans random functions with random estimates:
// every strategy returns every allowed deployment exactly once.
func TestEveryDeploymentOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	for i := range 300 {
		var ds []string
		for j := range 1 + r.IntN(12) {
			ds = append(ds, pick("aws", "gcp", "azure")+"-r"+string(rune('a'+j)))
		}
		f := fn(ds...)
		ests := map[string]Estimate{}
		for _, id := range ds {
			switch r.IntN(6) {
			case 0: // unknown
			case 1:
				ests[id] = with(est(float64(r.IntN(300)), float64(r.IntN(5))*1e-7), func(e *Estimate) { e.Reliability = 0 })
			case 2:
				ests[id] = est(math.NaN(), 1e-7)
				if r.IntN(2) == 0 {
					ests[id] = est(0, math.NaN())
				}
			default:
				e := est(float64(r.IntN(300)), float64(r.IntN(5))*1e-7)
				e.Samples, e.Confident, e.DistanceKm = r.IntN(50), r.IntN(2) == 0, float64(r.IntN(3)-1)*1000
				ests[id] = e
			}
		}
		for _, pol := range allStrategies() {
			pol.Name, pol.Exploration = "p", ptr(0.3)
			pol.Rules = []policy.Rule{{Window: "11:00-13:00", Prefer: catalog.Provider(pick("aws", "gcp", "azure"))}}
			if pol.Uses(policy.Static) {
				pol.DefaultProvider = catalog.Provider(pick("aws", "gcp", "azure"))
			}
			p, err := NewRouter(nil).Plan(Request{Function: f, Policy: &pol, Now: noon, Estimates: ests, Rand: r.Float64})
			if err != nil {
				t.Fatalf("case %d %s: %v", i, name(pol), err)
			}
			checkPlan(t, f, pol, p)
			if len(p.Order) != len(ds) {
				t.Fatalf("case %d %s: planned %v, want all of %v", i, name(pol), ids(p), ds)
			}
			for _, c := range p.Decision.Candidates {
				_, estimated := ests[c.DeploymentID]
				if (c.Score == nil) != (p.Decision.Strategy == "static" || !estimated) {
					t.Fatalf("case %d %s: candidate %s score %v", i, name(pol), c.DeploymentID, c.Score)
				}
			}
		}
	}
}

func TestStaticAppliesRules(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus", "aws-west")
	ests := map[string]Estimate{"aws-east": est(100, 5e-7), "gcp-central": est(100, 1e-7), "azure-eastus": est(100, 2e-7), "aws-west": est(100, 1e-7)}
	tests := []struct {
		name string
		pol  policy.Policy
		want []string
	}{
		{"residency drops the default region", policy.Policy{DefaultProvider: catalog.AWS, AllowedRegions: []string{"west", "central"}},
			[]string{"aws-west", "gcp-central"}},
		{"residency drops a failover provider", policy.Policy{DefaultProvider: catalog.AWS, AllowedProviders: []catalog.Provider{catalog.AWS, catalog.Azure}},
			[]string{"aws-east", "azure-eastus", "aws-west"}},
		{"cost cap drops the default", policy.Policy{DefaultProvider: catalog.AWS, CostCapUSD: 3e-7},
			[]string{"gcp-central", "azure-eastus", "aws-west"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.pol.Strategy = policy.Static
			p := planWith(t, f, tc.pol, ests, nil)
			if diff := cmp.Diff(tc.want, ids(p)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWeightedNormalisation holds the weighted score to min-max
// normalisation across the call's candidates: it is scale invariant, nil
// weights are DefaultWeights, an unknown distance scores the middle and a
// deployment without an estimate is not scored but tried after the scored.
func TestWeightedNormalisation(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus", "gcp-west")
	base := map[string]Estimate{
		"aws-east":     with(est(120, 3e-7), func(e *Estimate) { e.DistanceKm, e.Reliability = 300, 0.99 }),
		"gcp-central":  with(est(180, 1e-7), func(e *Estimate) { e.DistanceKm, e.Reliability = 1500, 0.97 }),
		"azure-eastus": with(est(90, 6e-7), func(e *Estimate) { e.Reliability = 0.9 }), // distance unknown
		"gcp-west":     with(est(400, 0.5e-7), func(e *Estimate) { e.DistanceKm, e.Reliability = 4000, 1 }),
	}
	scaled := func(k float64, ests map[string]Estimate) map[string]Estimate {
		out := map[string]Estimate{}
		for id, e := range ests {
			e.CostUSD *= k
			out[id] = e
		}
		return out
	}
	plan := func(w *policy.Weights, ests map[string]Estimate) Plan {
		return planWith(t, f, policy.Policy{Strategy: policy.Weighted, Weights: w}, ests, nil)
	}
	approx := cmp.Comparer(func(a, b float64) bool { return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-9 })

	t.Run("scale invariance", func(t *testing.T) {
		want := plan(nil, base)
		for _, k := range []float64{1000, 1e-3} {
			got := plan(nil, scaled(k, base))
			if diff := cmp.Diff(ids(want), ids(got)); diff != "" {
				t.Errorf("costs x%g: order (-want +got):\n%s", k, diff)
			}
			if diff := cmp.Diff(scores(want), scores(got), approx); diff != "" {
				t.Errorf("costs x%g: scores (-want +got):\n%s", k, diff)
			}
		}
	})
	t.Run("nil weights are 0.4/0.3/0.2/0.1", func(t *testing.T) {
		got := plan(nil, base)
		want := plan(&policy.Weights{Latency: 0.4, Cost: 0.3, Reliability: 0.2, Affinity: 0.1}, base)
		if diff := cmp.Diff(ids(want), ids(got)); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(scores(want), scores(got), approx); diff != "" {
			t.Errorf("scores (-want +got):\n%s", diff)
		}
		// Scaled weights give the same scores: the sum divides them out.
		twice := plan(&policy.Weights{Latency: 0.8, Cost: 0.6, Reliability: 0.4, Affinity: 0.2}, base)
		if diff := cmp.Diff(scores(want), scores(twice), approx); diff != "" {
			t.Errorf("doubled weights: scores (-want +got):\n%s", diff)
		}
	})
	t.Run("unknown distance scores the middle", func(t *testing.T) {
		// Affinity only: 300 km -> 1, 4000 km -> 0, 1500 km -> 2500/3700,
		// unknown -> 0.5.
		got := plan(&policy.Weights{Affinity: 1}, base)
		if diff := cmp.Diff([]string{"aws-east", "gcp-central", "azure-eastus", "gcp-west"}, ids(got)); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]float64{1, 2500.0 / 3700, 0.5, 0}, scores(got), approx); diff != "" {
			t.Errorf("scores (-want +got):\n%s", diff)
		}
	})
	t.Run("without an estimate: after the scored, unscored", func(t *testing.T) {
		partial := map[string]Estimate{"gcp-west": base["gcp-west"], "azure-eastus": base["azure-eastus"]}
		got := planWith(t, f, policy.Policy{Strategy: policy.Weighted, DefaultProvider: catalog.GCP}, partial, nil)
		// gcp-west scores 0.6 (cost, reliability, the only known distance),
		// azure-eastus 0.45 (latency, unknown distance); the unknown ones
		// follow: the default provider's first, then declared order.
		if diff := cmp.Diff([]string{"gcp-west", "azure-eastus", "gcp-central", "aws-east"}, ids(got)); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		for _, c := range got.Decision.Candidates[2:] {
			if c.Score != nil || c.Reason != reasonUnknown {
				t.Errorf("unknown %s: score %v, reason %q; want no score and %q", c.DeploymentID, c.Score, c.Reason, reasonUnknown)
			}
		}
	})
	t.Run("reliability 0: down, tried last", func(t *testing.T) {
		down := map[string]Estimate{}
		for id, e := range base {
			down[id] = e
		}
		down["azure-eastus"] = with(base["azure-eastus"], func(e *Estimate) { e.Reliability = 0 })
		got := plan(&policy.Weights{Latency: 1}, down) // azure-eastus is the fastest
		if last := got.Order[len(got.Order)-1].ID; last != "azure-eastus" {
			t.Errorf("order %v, want the down azure-eastus last", ids(got))
		}
	})
}

// TestNoCandidate holds the hard rules' refusal: ErrNoCandidate through the
// router's wrapping, saying which rule excluded which deployment.
func TestNoCandidate(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus")
	ests := map[string]Estimate{"aws-east": est(100, 4e-7), "gcp-central": est(50, 5e-7), "azure-eastus": est(10, 6e-7)}
	tests := []struct {
		name string
		edit func(*policy.Policy)
		want []string
	}{
		{"providers and regions", func(p *policy.Policy) {
			p.AllowedProviders = []catalog.Provider{catalog.Azure}
			p.AllowedRegions = []string{"west"}
		},
			[]string{"allowed_providers [azure] excludes aws-east, gcp-central", "allowed_regions [west] excludes azure-eastus"}},
		{"regions", func(p *policy.Policy) { p.AllowedRegions = []string{"mars"} },
			[]string{"allowed_regions [mars] excludes aws-east, gcp-central, azure-eastus"}},
		{"cost cap", func(p *policy.Policy) { p.CostCapUSD = 1e-7 },
			[]string{"cost cap $0.0000001 per call", "the least aws-east at $0.0000004"}},
	}
	for _, tc := range tests {
		for _, pol := range allStrategies() {
			t.Run(tc.name+"/"+name(pol), func(t *testing.T) {
				pol.Name = "p"
				tc.edit(&pol)
				_, err := NewRouter(nil).Plan(Request{Function: f, Policy: &pol, Now: noon, Estimates: ests, Rand: fixed(0.2, 0)})
				if !errors.Is(err, ErrNoCandidate) {
					t.Fatalf("err = %v, want ErrNoCandidate", err)
				}
				for _, w := range append(tc.want, `plan "f" with policy "p"`) {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("err = %q, want it to contain %q", err, w)
					}
				}
			})
		}
	}
}

// TestCostCapKeepsUnknownCost: a deployment without a cost prediction stays
// under a cost cap, and its reason says why.
func TestCostCapKeepsUnknownCost(t *testing.T) {
	f := fn("aws-east", "gcp-central", "azure-eastus")
	ests := map[string]Estimate{"aws-east": est(100, 4e-7), "gcp-central": est(50, 1e-7), "azure-eastus": est(10, math.NaN())}
	for _, pol := range allStrategies() {
		t.Run(name(pol), func(t *testing.T) {
			pol.CostCapUSD = 2e-7
			p := planWith(t, f, pol, ests, nil)
			got := map[string]string{}
			for _, c := range p.Decision.Candidates {
				got[c.DeploymentID] = c.Reason
			}
			if _, ok := got["aws-east"]; ok || len(got) != 2 {
				t.Fatalf("planned %v, want gcp-central and azure-eastus only", ids(p))
			}
			if !strings.HasSuffix(got["azure-eastus"], costUnknownNote) || strings.HasSuffix(got["gcp-central"], costUnknownNote) {
				t.Errorf("reasons %q, want the cost-unknown note on azure-eastus only", got)
			}
		})
	}
}

func TestExploredReason(t *testing.T) {
	f := fn("aws-east", "gcp-central")
	ests := map[string]Estimate{"aws-east": est(100, 1e-7), "gcp-central": with(est(100, 2e-7), func(e *Estimate) { e.Samples, e.Confident = 3, false })}
	p := planWith(t, f, policy.Policy{Strategy: policy.Cheapest, Exploration: ptr(0.1)}, ests, fixed(0.05))
	if !p.Decision.Explored || p.Order[0].ID != "gcp-central" {
		t.Fatalf("explored %v, order %v; want gcp-central explored first", p.Decision.Explored, ids(p))
	}
	if c := p.Decision.Candidates[0]; !strings.Contains(c.Reason, "exploration") || !strings.HasPrefix(p.Decision.Reason, "exploration (10% of calls): gcp-central") {
		t.Errorf("candidate reason %q, decision reason %q; want both to say exploration", c.Reason, p.Decision.Reason)
	}
	p = planWith(t, f, policy.Policy{Strategy: policy.Cheapest, Exploration: ptr(0.1)}, ests, fixed(0.1))
	if p.Decision.Explored || p.Order[0].ID != "aws-east" {
		t.Errorf("draw at the share: explored %v, order %v; want no exploration", p.Decision.Explored, ids(p))
	}
}
