package simulate

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/route"
	"github.com/fiso-dev/fiso/shared/trace"
)

func TestDefaultProvidersValid(t *testing.T) {
	set := DefaultProviders()
	if err := set.Validate(pricing.Defaults()); err != nil {
		t.Fatalf("the defaults do not validate against the built-in cards: %v", err)
	}
}

func TestLoadProviders(t *testing.T) {
	set, err := LoadProviders(strings.NewReader(`{"aws": {"keep_alive_minutes": 5, "cold_start_ms": {"median": 300, "p95": 900}},
		"gcp": {"plan": "gen1", "memory": {"sizes_mb": [128, 256, 512, 1024, 2048, 4096, 8192], "max_mb": 8192}}}`))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultProviders()
	if set.AWS.KeepAliveMinutes != 5 || set.AWS.ColdStartMs != (Dist{300, 900}) || set.AWS.OverheadMs != def.AWS.OverheadMs {
		t.Errorf("aws: got %+v; want keep-alive 5, cold start 300/900, the default overhead", set.AWS)
	}
	if set.GCP.Plan != "gen1" || set.GCP.Memory.MaxMB != 8192 || len(set.GCP.Memory.SizesMB) != 7 || set.GCP.Memory.SizeFrom != "max" {
		t.Errorf("gcp: got %+v", set.GCP)
	}
	if set.Azure.Region != def.Azure.Region || set.Azure.KeepAliveMinutes != 20 {
		t.Errorf("azure changed: %+v", set.Azure)
	}
	if err := set.Validate(pricing.Defaults()); err != nil {
		t.Errorf("validate: %v", err)
	}
	for _, bad := range []string{`{"aws": {"keepalive": 5}}`, `{"ibm": {}}`, `{"aws": {}} {}`, `[`} {
		if _, err := LoadProviders(strings.NewReader(bad)); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("LoadProviders(%s): got %v, want an invalid-input error", bad, err)
		}
	}
}

func TestMemoryMapping(t *testing.T) {
	app := trace.Memory{AverageMB: 150, Percentiles: [8]float64{100, 110, 120, 140, 160, 200, 240, 300}}
	def := DefaultProviders()
	tests := []struct {
		name          string
		m             MemoryMapping
		wantCfg, want int
	}{
		{"lambda: the peak in 64 MB steps", def.AWS.Memory, 320, 0},
		{"consumption: bills the average", def.Azure.Memory, 384, 150},
		{"cloud run: the next size", def.GCP.Memory, 512, 0},
		{"headroom and p99", MemoryMapping{SizeFrom: "p99", Headroom: 1.5, StepMB: 128, MinMB: 128, MaxMB: 10240}, 384, 0},
		{"clamped to the plan", MemoryMapping{SizeFrom: "max", Headroom: 16, SizesMB: []int{128, 256}, MinMB: 128, MaxMB: 256}, 256, 0},
		{"at least the minimum", MemoryMapping{SizeFrom: "p1", Headroom: 1, StepMB: 1, MinMB: 128, MaxMB: 1024}, 128, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, obs, err := tc.m.Map(app)
			if err != nil || cfg != tc.wantCfg || obs != tc.want {
				t.Errorf("got %d MB configured, %d observed, %v; want %d, %d", cfg, obs, err, tc.wantCfg, tc.want)
			}
		})
	}
	if _, _, err := (MemoryMapping{SizeFrom: "median"}).Map(app); err == nil {
		t.Error("an unknown statistic: got no error")
	}
}

func TestLoadPolicies(t *testing.T) {
	one := `{"name": "cheap", "strategy": "Cheapest", "default_provider": "AWS", "slo_p95_ms": 800}`
	for _, text := range []string{one, "[" + one + "]", one + "\n" + strings.Replace(one, "cheap", "cheap2", 1)} {
		pols, err := LoadPolicies(strings.NewReader(text))
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		p := pols[0]
		if p.Strategy != policy.Cheapest || p.DefaultProvider != catalog.AWS || p.Function != "trace" || p.SLOP95Ms != 800 {
			t.Errorf("%s: got %+v", text, p)
		}
	}
	bad := []struct{ text, want string }{
		{``, "no policy"},
		{`{"name": "x", "strategy": "static", "default_provider": "aws", "colour": 1}`, "unknown field"},
		{`{"name": "x", "strategy": "cheapest", "default_provider": "ibm"}`, "default_provider"},
		{one + one, "used twice"},
		{`[{"name": 1}]`, "decode"},
	}
	for _, tc := range bad {
		if _, err := LoadPolicies(strings.NewReader(tc.text)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadPolicies(%q): got %v, want an error containing %q", tc.text, err, tc.want)
		}
	}
}

// missing is a planner without learning strategies.
type missing struct{}

func (missing) Plan(req route.Request) (route.Plan, error) {
	if req.Policy.Strategy != policy.Static {
		return route.Plan{}, errors.New("no such strategy")
	}
	return route.NewRouter(nil).Plan(req)
}

func TestCheckPlanner(t *testing.T) {
	pols := append(DefaultPolicies(1000), policy.Policy{Name: "s", Strategy: policy.Static, DefaultProvider: catalog.GCP})
	errs := CheckPlanner(missing{}, pols)
	for i, err := range errs {
		if wantErr := pols[i].Strategy != policy.Static; (err != nil) != wantErr || err != nil && !errors.Is(err, ErrStrategyMissing) {
			t.Errorf("%s: got %v, want an error: %v", pols[i].Name, err, wantErr)
		}
	}
}

func TestHistogram(t *testing.T) {
	var h Histogram
	rng := rand.New(rand.NewPCG(1, 2))
	var vs []float64
	for range 100_000 {
		v := math.Exp(rng.NormFloat64()*2 + 3) // 0.05 ms to minutes
		vs = append(vs, v)
		h.Add(v, 3)
	}
	h.Add(0, 3)
	vs = append(vs, 0)
	slices.Sort(vs)
	for _, q := range []float64{0.01, 0.5, 0.95, 0.99, 0.999, 1} {
		want := vs[int(math.Ceil(q*float64(len(vs))))-1]
		if got := h.Quantile(q); math.Abs(got-want) > want/128+1e-12 {
			t.Errorf("q%v: got %v, want %v within 1/128", q, got, want)
		}
	}
	if got := h.Quantile(0); got != 0 {
		t.Errorf("q0: got %v, want 0", got)
	}
	var other, merged Histogram
	other.Add(1e9, 1) // beyond the range: the last bucket
	merged.Merge(&h)
	merged.Merge(&other)
	if merged.Total() != h.Total()+1 || merged.Quantile(1) < 1e8 {
		t.Errorf("merged: total %d, max %v", merged.Total(), merged.Quantile(1))
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 {
		t.Error("an empty histogram's median is not 0")
	}
}

func TestDistQuantile(t *testing.T) {
	d := Dist{Median: 100, P95: 300}
	if got := d.Quantile(0.5); !near(got, 100, 1e-9) {
		t.Errorf("median: got %v", got)
	}
	if got := d.Quantile(0.95); !near(got, 300, 1e-6) {
		t.Errorf("p95: got %v", got)
	}
	if got := (Dist{Median: 40, P95: 40}).Quantile(0.99); got != 40 {
		t.Errorf("constant: got %v", got)
	}
	l := newLognormal(Dist{Median: 250, P95: 6000}) // a wide one
	for u := 0.00001; u < 1; u += 0.00731 {
		if got, want := l.quantile(u), l.exact(u); !near(got, want, 1e-3) {
			t.Errorf("tabled quantile(%v): got %v, want %v within 0.1%%", u, got, want)
		}
	}
	if got := l.quantile(0.9999); got != l.exact(0.9999) {
		t.Errorf("outer tail: got %v, want the exact %v", got, l.exact(0.9999))
	}
}

func TestBinomial(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		n int
		p float64
	}{{10, 0.1}, {1000, 0.0005}, {100000, 0.01}, {5, 0}} {
		const draws = 4000
		var sum float64
		for range draws {
			k := binomial(rng, tc.n, tc.p)
			if k < 0 || k > tc.n {
				t.Fatalf("binomial(%d, %v) = %d", tc.n, tc.p, k)
			}
			sum += float64(k)
		}
		mean, want := sum/draws, float64(tc.n)*tc.p
		if sd := math.Sqrt(want * (1 - tc.p) / draws); math.Abs(mean-want) > 5*sd+1e-9 {
			t.Errorf("binomial(%d, %v): mean %v, want %v", tc.n, tc.p, mean, want)
		}
	}
}

func TestFemto(t *testing.T) {
	var f femto
	f.add(0.000000220833375)
	f.add(123456789.25) // beyond 64 bits of femto-dollars
	f.add(-1)           // costs are never negative; ignored
	var g femto
	g.add(40000)
	f.addFemto(g)
	if got, want := f.USD(), 123456789.25+40000+0.000000220833375; !near(got, want, 1e-15) {
		t.Errorf("got %.15g, want %.15g", got, want)
	}
	var small femto
	for range 1000 {
		small.add(0.000000220833375)
	}
	if got := small.USD(); !near(got, 0.000220833375, 1e-9) {
		t.Errorf("1000 small amounts: got %.12g", got)
	}
}
