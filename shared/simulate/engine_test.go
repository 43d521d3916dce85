package simulate

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/route"
	"github.com/fiso-dev/fiso/shared/trace"
)

// Prices of one call, worked out by hand from the built-in cards
// (pricing/defaults.json) and the plans' rounding (pricing.BillingOf).
const (
	// short: 10 ms; app memory 100 MB on average, 128 MB at most.
	awsShort   = 0.010*0.125*1.66667e-5 + 2e-7              // Lambda, 128 MB, billed 10 ms
	azureShort = 0.100*0.125*1.6e-5 + 2e-7                  // Consumption: 100 ms minimum, 100 MB observed -> 128 MB
	gcpShort   = 0.1*0.083*2.4e-5 + 0.1*0.125*2.5e-6 + 4e-7 // gen2: 100 ms, 128 MiB, 0.083 vCPU
	// long: 1,000 ms; app memory 200 MB on average, 1,000 MB at most.
	awsLong   = 1.0*1.0*1.66667e-5 + 2e-7                // Lambda sized for the peak: 1,024 MB
	azureLong = 1.0*0.25*1.6e-5 + 2e-7                   // 200 MB observed -> 256 MB
	gcpLong   = 1.0*0.583*2.4e-5 + 1.0*1.0*2.5e-6 + 4e-7 // 1 GiB, 0.583 vCPU
)

// twoFunctions is the hand-built trace: "short" 10 calls a minute and "long"
// 5 calls a minute, for an hour.
func twoFunctions() []trace.Function2019 {
	return []trace.Function2019{
		constFn("short", 10, 100, 128, 10, 60),
		constFn("long", 1000, 200, 1000, 5, 60),
	}
}

func TestHandBuiltTrace(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Providers = exactProviders()
	cfg.SLOMs = 2000
	cfg.Planner = route.NewRouter(nil)
	requireStrategies(t)
	cfg.Policies = []policy.Policy{
		noExploration(policy.Policy{Name: "cheapest", Strategy: policy.Cheapest, DefaultProvider: catalog.AWS, SLOP95Ms: 2000}),
		noExploration(policy.Policy{Name: "fastest", Strategy: policy.Fastest, DefaultProvider: catalog.AWS}),
	}
	rep := replay(t, cfg, twoFunctions()...)

	if rep.Functions != 2 || rep.Invocations != 900 || rep.Minutes != 60 {
		t.Errorf("replayed %d functions, %d invocations, %d minutes; want 2, 900, 60", rep.Functions, rep.Invocations, rep.Minutes)
	}
	// Short runs cheapest on Lambda (1 ms billing beats Azure's and Google's
	// 100 ms minimum); long on Azure Consumption (it bills the 200 MB used,
	// where Lambda and Cloud Run bill the 1 GB the peak needs).
	oracle := 600*awsShort + 300*azureLong
	tests := []struct {
		name                string
		cost                float64
		aws, azure, gcp     float64
		cold, slo           int64
		p50, p95, p99       float64 // ms
		attempts            [3]int64
		failed, refusedWant int64
	}{
		{name: "aws-only", cost: 600*awsShort + 300*awsLong, aws: 600*awsShort + 300*awsLong,
			cold: 2, p50: 30, p95: 1020, p99: 1020, attempts: [3]int64{900, 0, 0}},
		{name: "azure-only", cost: 600*azureShort + 300*azureLong, azure: 600*azureShort + 300*azureLong,
			cold: 2, p50: 35, p95: 1025, p99: 1025, attempts: [3]int64{0, 900, 0}},
		// Cloud Run's first long call: 1,000 + 45 + 1,000 ms cold start > 2 s.
		{name: "gcp-only", cost: 600*gcpShort + 300*gcpLong, gcp: 600*gcpShort + 300*gcpLong,
			cold: 2, slo: 1, p50: 55, p95: 1045, p99: 1045, attempts: [3]int64{0, 0, 900}},
		{name: "oracle", cost: oracle, aws: 600 * awsShort, azure: 300 * azureLong,
			cold: 2, p50: 30, p95: 1025, p99: 1025, attempts: [3]int64{600, 300, 0}},
		// Cheapest finds what the oracle finds: even cold, Azure's 1,525 ms
		// meets the SLO for long.
		{name: "cheapest", cost: oracle, aws: 600 * awsShort, azure: 300 * azureLong,
			cold: 2, p50: 30, p95: 1025, p99: 1025, attempts: [3]int64{600, 300, 0}},
		// Fastest takes Lambda's 20 ms overhead for both.
		{name: "fastest", cost: 600*awsShort + 300*awsLong, aws: 600*awsShort + 300*awsLong,
			cold: 2, p50: 30, p95: 1020, p99: 1020, attempts: [3]int64{900, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := result(t, rep, tc.name)
			const rel = 1e-9
			if !near(r.CostUSD, tc.cost, rel) {
				t.Errorf("cost: got %.12g, want %.12g", r.CostUSD, tc.cost)
			}
			got := [3]float64{r.ByProvider[0].CostUSD, r.ByProvider[1].CostUSD, r.ByProvider[2].CostUSD}
			for j, want := range []float64{tc.aws, tc.azure, tc.gcp} {
				if math.Abs(got[j]-want) > 1e-15 && !near(got[j], want, rel) {
					t.Errorf("%s cost: got %.12g, want %.12g", providers[j], got[j], want)
				}
				if r.ByProvider[j].Attempts != tc.attempts[j] {
					t.Errorf("%s attempts: got %d, want %d", providers[j], r.ByProvider[j].Attempts, tc.attempts[j])
				}
			}
			if r.Invocations != 900 || r.ColdStarts != tc.cold || r.SLOViolations != tc.slo || r.Failed != 0 || r.Refused != 0 {
				t.Errorf("invocations %d, cold starts %d, SLO violations %d, failed %d, refused %d; want 900, %d, %d, 0, 0",
					r.Invocations, r.ColdStarts, r.SLOViolations, r.Failed, r.Refused, tc.cold, tc.slo)
			}
			for _, q := range []struct {
				name      string
				got, want float64
			}{{"p50", r.LatencyP50Ms, tc.p50}, {"p95", r.LatencyP95Ms, tc.p95}, {"p99", r.LatencyP99Ms, tc.p99}} {
				if !near(q.got, q.want, 1.0/128) {
					t.Errorf("latency %s: got %v ms, want %v within 0.8%%", q.name, q.got, q.want)
				}
			}
		})
	}
	if res := result(t, rep, "oracle"); !near(res.CostVsOracle, 1, 1e-12) {
		t.Errorf("oracle vs itself: got %v, want 1", res.CostVsOracle)
	}
}

// TestLinearCost checks that an attempt's cost is the card's own price at
// every duration, across the plans' rounding boundaries.
func TestLinearCost(t *testing.T) {
	cards := pricing.Defaults()
	tests := []struct {
		prov          catalog.Provider
		plan          pricing.Plan
		region        string
		memMB, obsMB  int
		arch          catalog.Arch
		durationsNote string
	}{
		{catalog.AWS, pricing.Lambda, "us-east-1", 128, 0, catalog.X86_64, "1 ms steps"},
		{catalog.AWS, pricing.Lambda, "us-east-1", 1769, 0, catalog.ARM64, "odd size"},
		{catalog.Azure, pricing.Consumption, "eastus", 1536, 200, catalog.X86_64, "observed memory"},
		{catalog.Azure, pricing.Flex, "eastus", 2048, 0, catalog.X86_64, "1 s minimum"},
		{catalog.GCP, pricing.Gen2, "us-central1", 512, 0, catalog.X86_64, "100 ms steps"},
		{catalog.GCP, pricing.Gen1, "us-central1", 256, 0, catalog.X86_64, "GHz-seconds"},
	}
	for _, tc := range tests {
		t.Run(string(tc.prov)+"/"+string(tc.plan)+" "+tc.durationsNote, func(t *testing.T) {
			card, ok := pricing.Find(cards, pricing.Key{Provider: tc.prov, Plan: tc.plan, Region: tc.region, Arch: tc.arch})
			if !ok {
				t.Fatal("no card")
			}
			fixed, perMs, err := linearCost(card, tc.memMB, tc.obsMB)
			if err != nil {
				t.Fatal(err)
			}
			dm := depModel{billing: card.Billing, fixed: fixed, perMs: perMs}
			for _, d := range []float64{0, 0.4, 1, 1.0000001, 99.9, 100, 100.1, 250, 999, 1000, 1001, 12345.6, 900000} {
				want, err := card.Cost(pricing.Usage{DurationMs: d, MemoryMB: tc.memMB, ObservedMemoryMB: tc.obsMB})
				if err != nil {
					t.Fatal(err)
				}
				if got := dm.cost(d); !near(got, want.TotalUSD, 1e-12) {
					t.Errorf("%v ms: got %.15g, want the card's %.15g", d, got, want.TotalUSD)
				}
			}
		})
	}
}

// fakeCheapest is a hand-written planner for the engine's logic: the
// deployments by predicted cost among those whose predicted p95 meets the
// policy's SLO, then the rest by p95. It records the estimates it saw.
type fakeCheapest struct {
	mu   sync.Mutex
	seen []map[string]route.Estimate
	// refuse makes every plan of this policy a conflict.
	refuse string
}

func (f *fakeCheapest) Plan(req route.Request) (route.Plan, error) {
	if req.Policy.Name == f.refuse {
		return route.Plan{}, fault.Conflict("nothing fits")
	}
	if req.Policy.Strategy == policy.Static {
		return route.NewRouter(nil).Plan(req)
	}
	f.mu.Lock()
	f.seen = append(f.seen, cloneEst(req.Estimates))
	f.mu.Unlock()
	order := slices.Clone(req.Function.Deployments)
	slo := req.Policy.SLOP95Ms
	key := func(d catalog.Deployment) (bool, float64) {
		e := req.Estimates[d.ID]
		if e.LatencyP95Ms <= slo {
			return false, e.CostUSD
		}
		return true, e.LatencyP95Ms
	}
	slices.SortStableFunc(order, func(a, b catalog.Deployment) int {
		ma, ka := key(a)
		mb, kb := key(b)
		if ma != mb {
			if ma {
				return 1
			}
			return -1
		}
		return cmp.Compare(ka, kb)
	})
	return route.Plan{Order: order}, nil
}

func cloneEst(m map[string]route.Estimate) map[string]route.Estimate {
	out := make(map[string]route.Estimate, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestEngineWithFakePlanner checks the engine's side of routing on its own:
// the estimates it hands the planner, refusals, and that a cheapest plan on
// the hand-built trace costs what the oracle does.
func TestEngineWithFakePlanner(t *testing.T) {
	fake := &fakeCheapest{refuse: "residency"}
	cfg := DefaultConfig()
	cfg.Providers = exactProviders()
	cfg.SLOMs = 2000
	cfg.Planner = fake
	cfg.Workers = 1
	cfg.Policies = []policy.Policy{
		{Name: "fake-cheapest", Strategy: policy.Cheapest, DefaultProvider: catalog.AWS, SLOP95Ms: 2000},
		{Name: "residency", Strategy: policy.Cheapest, DefaultProvider: catalog.AWS, SLOP95Ms: 2000},
	}
	rep := replay(t, cfg, twoFunctions()...)
	got, oracle := result(t, rep, "fake-cheapest"), result(t, rep, "oracle")
	if !near(got.CostUSD, oracle.CostUSD, 1e-9) {
		t.Errorf("cheapest by the estimates: cost %.12g, want the oracle's %.12g", got.CostUSD, oracle.CostUSD)
	}
	refused := result(t, rep, "residency")
	if refused.Refused != 900 || refused.SLOViolations != 900 || refused.CostUSD != 0 {
		t.Errorf("refused policy: refused %d, violations %d, cost %v; want 900, 900, 0", refused.Refused, refused.SLOViolations, refused.CostUSD)
	}
	// The first plan of a function sees every deployment cold and unknown;
	// the second (the rest of minute 1) sees the chosen one warm.
	first, second := fake.seen[0], fake.seen[1]
	for id, e := range first {
		if e.ColdStartRisk != 1 || e.Samples != 0 || e.Confident {
			t.Errorf("first plan, %s: risk %v, samples %d, confident %v; want 1, 0, false", id, e.ColdStartRisk, e.Samples, e.Confident)
		}
		if e.Reliability != 1 || e.LatencyP95Ms < e.LatencyMs || e.CostUSD <= 0 {
			t.Errorf("first plan, %s: implausible estimate %+v", id, e)
		}
	}
	aws := deploymentID(catalog.AWS, "us-east-1")
	if e := second[aws]; e.ColdStartRisk != 0 || e.Samples != 1 {
		t.Errorf("second plan, %s: risk %v, samples %d; want 0, 1 (warmed by the first call)", aws, e.ColdStartRisk, e.Samples)
	}
	if e := second[deploymentID(catalog.GCP, "us-central1")]; e.ColdStartRisk != 1 {
		t.Errorf("second plan, gcp: risk %v, want 1 (never called)", e.ColdStartRisk)
	}
	// Short's warm estimate on Lambda: 10 ms + 20 ms, at its price.
	if e := second[aws]; !near(e.LatencyMs, 30, 1e-9) || !near(e.CostUSD, awsShort, 1e-9) {
		t.Errorf("short on aws, warm: latency %v ms, cost %.12g; want 30, %.12g", e.LatencyMs, e.CostUSD, awsShort)
	}
}

// randomTrace is a few functions of assorted shapes, for properties.
func randomTrace() []trace.Function2019 {
	mk := func(name string, p [7]float64, avg, peak float64, counts func(m int) uint32) trace.Function2019 {
		fn := constFn(name, p[3], avg, peak, 0, 240)
		fn.Durations = trace.Durations{Average: p[3] * 1.1, Count: 1000, Percentiles: p}
		for m := range fn.PerMinute {
			fn.PerMinute[m] = counts(m)
		}
		return fn
	}
	return []trace.Function2019{
		mk("bursty", [7]float64{1, 3, 8, 15, 40, 300, 2000}, 150, 300, func(m int) uint32 {
			if m%37 < 3 {
				return 400
			}
			return 0
		}),
		mk("steady", [7]float64{50, 70, 90, 110, 130, 600, 900}, 300, 700, func(int) uint32 { return 120 }),
		mk("rare", [7]float64{200, 250, 400, 600, 900, 1500, 1800}, 500, 1200, func(m int) uint32 { return uint32(m%50/49) * 2 }),
		mk("tiny", [7]float64{0, 0, 0, 1, 1, 5, 40}, 90, 120, func(m int) uint32 { return uint32(m % 7) }),
	}
}

func TestOracleCostsLeast(t *testing.T) {
	cfg := DefaultConfig()
	// A bound every call can meet: the oracle is then the cheapest
	// realisation of every call, a lower bound for any routing.
	cfg.SLOMs = 60_000
	cfg.Planner = route.NewRouter(nil)
	requireStrategies(t)
	cfg.Policies = DefaultPolicies(cfg.SLOMs)
	rep := replay(t, cfg, randomTrace()...)
	oracle, floor := result(t, rep, OracleName), result(t, rep, FloorName)
	if !near(floor.CostUSD, oracle.CostUSD, 1e-9) {
		t.Errorf("with every call able to meet the SLO the floor ($%.9f) is the oracle ($%.9f)", floor.CostUSD, oracle.CostUSD)
	}
	for _, r := range rep.Results {
		if r.CostUSD < oracle.CostUSD {
			t.Errorf("%s costs $%.9f, less than the oracle's $%.9f", r.Name, r.CostUSD, oracle.CostUSD)
		}
		if r.Invocations != rep.Invocations {
			t.Errorf("%s replayed %d invocations, want %d", r.Name, r.Invocations, rep.Invocations)
		}
	}
	if oracle.Failed != 0 || oracle.SLOViolations != 0 {
		t.Errorf("oracle: %d failed, %d violations; want 0, 0", oracle.Failed, oracle.SLOViolations)
	}
}

func TestSLOAccounting(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Providers = exactProviders()
	cfg.SLOMs = 1000
	cfg.Planner = route.NewRouter(nil)
	cfg.Policies = nil
	// "slow" always takes 3 s: every call of every arm misses the SLO.
	slow := constFn("slow", 3000, 100, 128, 3, 30)
	// "half": 100 ms up to the median, then linear to 5 s at the 75th
	// percentile: the calls above u = 0.5 + 0.25*(1000-20-100)/4900 miss it on
	// Lambda (20 ms overhead), 45.5% of them.
	half := constFn("half", 100, 100, 128, 200, 30)
	half.Durations.Percentiles = [7]float64{100, 100, 100, 100, 5000, 5000, 5000}
	half.Durations.Average = 0
	rep := replay(t, cfg, slow, half)
	want := 90 + 6000*(0.25-0.25*880/4900+0.25)
	for _, r := range rep.Results {
		if r.Name != "aws-only" && r.Name != OracleName {
			continue
		}
		// Each minute's first call draws its own duration; the rest are
		// spread over 128 strata: allow a stratum's worth per minute.
		if got := float64(r.SLOViolations); math.Abs(got-want) > 6000.0/128+30 {
			t.Errorf("%s: %v SLO violations, want about %.0f", r.Name, got, want)
		}
		if share := r.SLOViolationShare; !near(share, float64(r.SLOViolations)/6090, 0.01) {
			t.Errorf("%s: violation share %v, want violations/invocations", r.Name, share)
		}
	}
	onlySlow := replay(t, cfg, slow)
	for _, r := range onlySlow.Results {
		if r.SLOViolations != 90 || r.SLOViolationShare != 1 {
			t.Errorf("%s on slow: %d violations (share %v), want 90 (1)", r.Name, r.SLOViolations, r.SLOViolationShare)
		}
	}
}

func TestDeterminism(t *testing.T) {
	run := func(seed uint64, workers int) *Report {
		cfg := DefaultConfig()
		cfg.Seed, cfg.Workers = seed, workers
		cfg.Planner = route.NewRouter(nil)
		requireStrategies(t)
		// Failures and exploration make the draws matter.
		for _, m := range cfg.Providers.Models() {
			m.FailureRate = 0.01
		}
		return replay(t, cfg, randomTrace()...)
	}
	a, b := run(7, 1), run(7, 4)
	if diff := gocmp.Diff(a, b); diff != "" {
		t.Errorf("seed 7 with 1 and 4 workers differ (-1 +4):\n%s", diff)
	}
	c := run(8, 4)
	if gocmp.Equal(a.Results, c.Results) {
		t.Error("seeds 7 and 8 gave identical results")
	}
}

func TestFailover(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Providers = exactProviders()
	cfg.Providers.AWS.FailureRate = 0.5
	cfg.Planner = route.NewRouter(nil)
	cfg.Policies = []policy.Policy{{Name: "aws-then-azure", Strategy: policy.Static, DefaultProvider: catalog.AWS, Failover: []catalog.Provider{catalog.Azure}}}
	rep := replay(t, cfg, constFn("f", 10, 100, 128, 100, 60))
	r := result(t, rep, "aws-then-azure")
	// Half the calls fail on AWS (billed) and are answered by Azure.
	if r.Failed != 0 || r.Failovers < 2700 || r.Failovers > 3300 {
		t.Errorf("failed %d, failovers %d; want 0 and about 3,000", r.Failed, r.Failovers)
	}
	if aws := r.ByProvider[0].Attempts; aws != 6000 {
		t.Errorf("aws attempts: got %d, want every call's first, 6000", aws)
	}
	if az := r.ByProvider[1].Attempts; az != r.Failovers {
		t.Errorf("azure attempts %d, want the failovers %d", az, r.Failovers)
	}
	wantCost := 6000*awsShort + float64(r.Failovers)*azureShort
	if !near(r.CostUSD, wantCost, 1e-9) {
		t.Errorf("cost %.12g, want %.12g (failed attempts billed)", r.CostUSD, wantCost)
	}
	only := result(t, rep, "aws-only")
	if only.Failed < 2700 || only.Failed > 3300 || only.SLOViolations != only.Failed {
		t.Errorf("aws-only: %d failed, %d violations; want about 3,000 of each (no failover)", only.Failed, only.SLOViolations)
	}
}

func TestConfigErrors(t *testing.T) {
	base := func() Config {
		cfg := DefaultConfig()
		cfg.Planner = route.NewRouter(nil)
		return cfg
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no planner", func(c *Config) { c.Planner = nil }, "no planner"},
		{"bad SLO", func(c *Config) { c.SLOMs = 0 }, "slo_ms"},
		{"reserved name", func(c *Config) { c.Policies = []policy.Policy{{Name: "oracle", DefaultProvider: catalog.AWS}} }, "reserved"},
		{"no card", func(c *Config) { c.Providers.AWS.Region = "eu-central-2" }, "no rate card for aws/lambda/eu-central-2"},
		{"bad plan", func(c *Config) { c.Providers.GCP.Plan = "lambda" }, "gcp.plan"},
		{"memory outside the plan", func(c *Config) { c.Providers.Azure.Memory.MaxMB = 4096 }, "azure.memory"},
		{"negative keep-alive", func(c *Config) { c.Providers.AWS.KeepAliveMinutes = -1 }, "aws.keep_alive_minutes"},
		{"p95 below median", func(c *Config) { c.Providers.AWS.ColdStartMs = Dist{Median: 5, P95: 1} }, "aws.cold_start_ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.change(&cfg)
			_, err := Replay2019(context.Background(), &fns{list: twoFunctions()}, "x", cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	cfg := base()
	if _, err := Replay2019(context.Background(), &fns{}, "x", cfg); !errors.Is(err, errNoFunctions) {
		t.Errorf("empty trace: got %v, want errNoFunctions", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Replay2019(ctx, &fns{list: twoFunctions()}, "x", cfg); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v, want context.Canceled", err)
	}
}

func TestSplit(t *testing.T) {
	requireStrategies(t)
	cfg := DefaultConfig()
	cfg.Providers = exactProviders()
	cfg.SLOMs = 2000
	cfg.Planner = route.NewRouter(nil)
	cfg.Policies = []policy.Policy{noExploration(policy.Policy{Name: "ab", Strategy: policy.Split, DefaultProvider: catalog.AWS, SLOP95Ms: 2000,
		Split: &policy.SplitConfig{Percent: 50, A: policy.Cheapest, B: policy.Static}})}
	rep := replay(t, cfg, twoFunctions()...)
	r := result(t, rep, "ab")
	// Both arms put short on Lambda; half of long goes to Azure (cheapest),
	// half to Lambda (static, default provider aws), give or take the draws.
	want := 600*awsShort + 150*azureLong + 150*awsLong
	if r.Invocations != 900 || !near(r.CostUSD, want, 0.15) {
		t.Errorf("split: %d invocations, $%.6f; want 900, about $%.6f", r.Invocations, r.CostUSD, want)
	}
	if az := r.ByProvider[1].Attempts; az < 100 || az > 200 {
		t.Errorf("split: %d calls on Azure, want about 150", az)
	}
}

// contrarian explores on high draws, against route's documented
// convention: the replay must notice and plan call by call.
type contrarian struct{ r *route.Router }

func (c contrarian) Plan(req route.Request) (route.Plan, error) {
	if rnd := req.Rand; rnd != nil {
		req.Rand = func() float64 { return math.Nextafter(1, 0) - rnd() }
	}
	return c.r.Plan(req)
}

func TestPlannerWithoutTheDrawConvention(t *testing.T) {
	requireStrategies(t)
	cfg := DefaultConfig()
	cfg.Planner = contrarian{route.NewRouter(nil)}
	share := 0.2
	cfg.Policies = []policy.Policy{{Name: "cheapest", Strategy: policy.Cheapest, DefaultProvider: catalog.AWS, SLOP95Ms: 60_000, Exploration: &share}}
	cfg.SLOMs = 60_000
	rep := replay(t, cfg, randomTrace()...)
	r, oracle := result(t, rep, "cheapest"), result(t, rep, OracleName)
	if r.Invocations != rep.Invocations || r.CostUSD < oracle.CostUSD {
		t.Errorf("cheapest: %d of %d invocations, $%.6f against the oracle's $%.6f", r.Invocations, rep.Invocations, r.CostUSD, oracle.CostUSD)
	}
	if gcp := r.ByProvider[2].Attempts; gcp == 0 {
		t.Error("no call explored Cloud Run")
	}
}
