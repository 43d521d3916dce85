package experiment

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/invocation"
)

func rec(policy, arm, strategy string, provider catalog.Provider, cost, latency float64, failed bool) invocation.Record {
	c := cost
	r := invocation.Record{
		Provider: provider, TotalTimeMs: latency, ErrorOccurred: failed, CostUSD: &c,
		Decision: invocation.Decision{Policy: policy, Arm: arm, Strategy: strategy},
		Attempts: []invocation.Attempt{{Outcome: invocation.OK}},
	}
	return r
}

func TestReportPerArm(t *testing.T) {
	b := NewBuilder("ab", "sample", time.Unix(0, 0), time.Unix(3600, 0))
	for i := range 10 {
		b.Add(rec("ab", "a", "static", catalog.AWS, 2e-6, float64(100+i), i == 0))
		b.Add(rec("ab", "b", "cheapest", catalog.GCP, 1e-6, float64(200+i), false))
	}
	b.Add(rec("other", "a", "static", catalog.AWS, 1, 1, false)) // another policy's call
	r := b.Report()
	if r.Records != 20 || len(r.Arms) != 2 {
		t.Fatalf("records %d, arms %d; want 20 and 2", r.Records, len(r.Arms))
	}
	a, bb := r.Arms[0], r.Arms[1]
	if a.Arm != "a" || a.Strategy != "static" || bb.Arm != "b" || bb.Strategy != "cheapest" {
		t.Fatalf("arms = %+v / %+v", a, bb)
	}
	if a.Calls != 10 || a.Errors != 1 || a.ByProvider[catalog.AWS] != 9 || bb.ByProvider[catalog.GCP] != 10 {
		t.Errorf("arm a calls %d errors %d by provider %v; b by provider %v", a.Calls, a.Errors, a.ByProvider, bb.ByProvider)
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %g, want %g", what, got, want)
		}
	}
	near("a mean cost", a.CostUSD.Value, 2e-6)
	near("a cost CI width (constant costs)", a.CostUSD.High-a.CostUSD.Low, 0)
	near("a total cost", a.TotalCostUSD, 2e-5)
	near("a mean latency", a.LatencyMeanMs.Value, 104.5)
	// sd of 100..109 is sqrt(9.1667); half-width 1.96*sd/sqrt(10).
	near("a latency CI half-width", a.LatencyMeanMs.High-a.LatencyMeanMs.Value, Z*math.Sqrt(110.0/12)/math.Sqrt(10))
	near("a p50", a.LatencyP50Ms.Value, 104)
	near("a p95", a.LatencyP95Ms.Value, 109)
	near("a error rate", a.ErrorRate.Value, 0.1)
	if r.BMinusA == nil {
		t.Fatal("no difference between the arms")
	}
	near("b-a cost", r.BMinusA.CostUSD.Value, -1e-6)
	near("b-a latency", r.BMinusA.LatencyMs.Value, 100)
	if !r.BMinusA.LatencySignificant {
		t.Errorf("latency difference of 100 ms with spread 3 ms not significant: %+v", r.BMinusA)
	}
}

func TestWilson(t *testing.T) {
	for _, tc := range []struct {
		k, n      int
		low, high float64
	}{
		// Reference values of the Wilson score interval at 95%.
		{0, 10, 0, 0.2775},
		{5, 10, 0.2366, 0.7634},
		{10, 10, 0.7225, 1},
		{1, 100, 0.0018, 0.0545},
	} {
		e := wilson(tc.k, tc.n)
		if math.Abs(e.Low-tc.low) > 1e-4 || math.Abs(e.High-tc.high) > 1e-4 {
			t.Errorf("wilson(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f]", tc.k, tc.n, e.Low, e.High, tc.low, tc.high)
		}
	}
	if e := wilson(0, 0); e != (Estimate{}) {
		t.Errorf("wilson(0, 0) = %+v, want zero", e)
	}
}

// TestIntervalsCover checks, by simulation, that the 95% intervals of the
// mean and of the p50 and p95 contain the true values about 95% of the time.
func TestIntervalsCover(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const trials, n = 400, 400
	// Exponential latencies with mean 100: median 100 ln 2, p95 100 ln 20.
	trueMean, trueP50, trueP95 := 100.0, 100*math.Ln2, 100*math.Log(20)
	var mean, p50, p95 int
	for range trials {
		var m moments
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = rng.ExpFloat64() * 100
			m.add(xs[i])
		}
		slices.Sort(xs)
		in := func(e Estimate, v float64) bool { return e.Low <= v && v <= e.High }
		if in(m.interval(), trueMean) {
			mean++
		}
		if in(quantile(xs, 0.5), trueP50) {
			p50++
		}
		if in(quantile(xs, 0.95), trueP95) {
			p95++
		}
	}
	for what, hits := range map[string]int{"mean": mean, "p50": p50, "p95": p95} {
		if share := float64(hits) / trials; share < 0.91 || share > 0.99 {
			t.Errorf("%s interval covered the true value in %.3f of trials, want about 0.95", what, share)
		}
	}
}

func TestEqualArmsAreNotSignificant(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	b := NewBuilder("ab", "sample", time.Unix(0, 0), time.Unix(1, 0))
	for range 2000 {
		b.Add(rec("ab", "a", "cheapest", catalog.AWS, 1e-6*(1+rng.Float64()), 100+rng.NormFloat64()*10, false))
		b.Add(rec("ab", "b", "fastest", catalog.AWS, 1e-6*(1+rng.Float64()), 100+rng.NormFloat64()*10, false))
	}
	d := b.Report().BMinusA
	if d == nil || d.CostSignificant || d.LatencySignificant {
		t.Errorf("two arms from one distribution compare as %+v, want no significant difference", d)
	}
}

func TestSmallArmsAndChangedStrategies(t *testing.T) {
	// Two calls an arm: a normal interval would call 100 vs 110 ms
	// significant; Student's t at about 2 degrees of freedom does not.
	b := NewBuilder("ab", "sample", time.Unix(0, 0), time.Unix(1, 0))
	for _, ms := range []float64{95, 105} {
		b.Add(rec("ab", "a", "static", catalog.AWS, 1e-6, ms, false))
		b.Add(rec("ab", "b", "cheapest", catalog.AWS, 1e-6, ms+10, false))
	}
	d := b.Report().BMinusA
	if d == nil || d.LatencySignificant || d.LatencyMs.Value != 10 || d.LatencyMs.High-d.LatencyMs.Value < 20 {
		t.Errorf("two calls an arm compare as %+v, want 10 ms with a wide interval, not significant", d)
	}

	// Arm b's strategy was changed mid-experiment: three arms, no single
	// b to compare with a.
	b.Add(rec("ab", "b", "fastest", catalog.GCP, 1e-6, 50, false))
	r := b.Report()
	if len(r.Arms) != 3 || r.Arms[1].Strategy != "cheapest" || r.Arms[2].Strategy != "fastest" || r.BMinusA != nil {
		t.Errorf("after a strategy change: %d arms %+v, comparison %+v; want a, b/cheapest, b/fastest and none", len(r.Arms), r.Arms, r.BMinusA)
	}
}
