package simulate

import (
	"context"
	"io"
	"math"
	"testing"

	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/route"
	"github.com/fiso-dev/fiso/shared/trace"
)

const sample2019 = "../trace/testdata/azure2019-top10-1day"

// fns is a hand-built 2019 trace.
type fns struct {
	list []trace.Function2019
	i    int
}

func (f *fns) Next() (trace.Function2019, error) {
	if f.i == len(f.list) {
		return trace.Function2019{}, io.EOF
	}
	f.i++
	return f.list[f.i-1], nil
}

// constFn is a function that runs durMs every time, in an app whose memory
// averages avgMB and peaks at maxMB, called perMinute times a minute for
// minutes minutes.
func constFn(name string, durMs, avgMB, maxMB float64, perMinute uint32, minutes int) trace.Function2019 {
	fn := trace.Function2019{}
	fn.Owner, fn.App, fn.Function, fn.Trigger = "owner", "app-"+name, name, "http"
	fn.PerMinute = make([]uint32, minutes)
	for m := range fn.PerMinute {
		fn.PerMinute[m] = perMinute
	}
	fn.Durations = trace.Durations{Average: durMs, Count: 1}
	for i := range fn.Durations.Percentiles {
		fn.Durations.Percentiles[i] = durMs
	}
	fn.Memory = trace.Memory{AverageMB: avgMB}
	for i := range fn.Memory.Percentiles {
		fn.Memory.Percentiles[i] = avgMB
	}
	fn.Memory.Percentiles[7] = maxMB
	return fn
}

// exactProviders are the default models made deterministic: constant
// overheads and cold starts, no failures, unbilled cold starts.
func exactProviders() ProviderSet {
	set := DefaultProviders()
	for j, m := range set.Models() {
		m.OverheadMs = Dist{Median: []float64{20, 25, 45}[j], P95: []float64{20, 25, 45}[j]}
		m.ColdStartMs = Dist{Median: []float64{250, 500, 1000}[j], P95: []float64{250, 500, 1000}[j]}
		m.FailureRate = 0
		m.ColdStartBilledShare = 0
	}
	return set
}

func noExploration(p policy.Policy) policy.Policy {
	zero := 0.0
	p.Exploration = &zero
	return p
}

// requireStrategies fails the test when the real router cannot plan the
// default policies (every learning strategy).
func requireStrategies(t *testing.T) {
	t.Helper()
	for _, err := range CheckPlanner(route.NewRouter(nil), DefaultPolicies(DefaultSLOMs)) {
		if err != nil {
			t.Fatalf("the router cannot plan the default policies: %v", err)
		}
	}
}

func replay(t testing.TB, cfg Config, list ...trace.Function2019) *Report {
	t.Helper()
	rep, err := Replay2019(context.Background(), &fns{list: list}, "hand-built", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func result(t testing.TB, rep *Report, name string) Result {
	t.Helper()
	r, ok := rep.Result(name)
	if !ok {
		t.Fatalf("no result %q", name)
	}
	return r
}

func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(math.Abs(want), 1e-300)
}
