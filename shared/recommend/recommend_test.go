package recommend

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// List prices of the built-in cards the expected figures are worked out
// with by hand (TestPricesUsed checks them against pricing.Defaults()).
const (
	awsGBs    = 0.0000166667 // Lambda us-east-1 x86_64, per GB-second, first paid tier
	awsArmGBs = 0.0000133334 // Lambda us-east-1 arm64
	awsReq    = 0.0000002    // Lambda, per request
	gcpVCPU   = 0.000024     // Cloud Run functions us-central1, per vCPU-second
	gcpGiB    = 0.0000025    // per GiB-second
	gcpReq    = 0.0000004    // per request
)

// The tests run at now with the default 14-day window: a month is 30/14
// windows.
var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

const perMonth = 30.0 / 14

// microUSD is how close a computed dollar figure must be.
const microUSD = 1e-6

var (
	awsEast  = catalog.Deployment{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "us-east-1", Target: "orders", MemoryMB: 1024, Arch: catalog.X86_64, Plan: "lambda"}
	awsArm   = catalog.Deployment{ID: "aws-arm", Provider: catalog.AWS, Region: "us-east-1", Target: "orders-arm", MemoryMB: 1024, Arch: catalog.ARM64, Plan: "lambda"}
	awsSmall = catalog.Deployment{ID: "aws-small", Provider: catalog.AWS, Region: "us-east-1", Target: "orders-small", MemoryMB: 512, Arch: catalog.X86_64, Plan: "lambda"}
	gcpCentr = catalog.Deployment{ID: "gcp-us-central1", Provider: catalog.GCP, Region: "us-central1", Target: "https://orders-abc-uc.a.run.app", MemoryMB: 256, Arch: catalog.X86_64, Plan: "gen2"}
	azEast   = catalog.Deployment{ID: "azure-eastus", Provider: catalog.Azure, Region: "eastus", Target: "https://orders.azurewebsites.net/api/orders", Arch: catalog.X86_64, Plan: "consumption"}
)

func function(name string, ds ...catalog.Deployment) catalog.Function {
	return catalog.Function{Name: name, Deployments: ds, CreatedAt: now.AddDate(0, -2, 0), UpdatedAt: now.AddDate(0, -1, 0)}
}

func staticPolicy(name, fn string, def catalog.Provider, failover ...catalog.Provider) policy.Policy {
	return policy.Policy{Name: name, Function: fn, Strategy: policy.Static, DefaultProvider: def, Failover: failover, IsActive: true}
}

// span spreads the test calls over 13 days of the 14-day window.
const span = 13 * 24 * time.Hour

func recommend(t *testing.T, fl *fakeLog, budgets BudgetReader, opts Options) Report {
	t.Helper()
	rep, err := New(fl, defaultCards{}, budgets, opts).Recommend(context.Background(), now)
	if err != nil {
		t.Fatalf("Recommend: %v", err)
	}
	return rep
}

func find(rep Report, kind, function, deployment string) (Recommendation, bool) {
	for _, r := range rep.Recommendations {
		if r.Kind == kind && r.Function == function && r.Deployment == deployment {
			return r, true
		}
	}
	return Recommendation{}, false
}

func skipped(rep Report, kind, function, deployment, contains string) bool {
	for _, s := range rep.Skipped {
		if s.Kind == kind && s.Function == function && s.Deployment == deployment && strings.Contains(s.Reason, contains) {
			return true
		}
	}
	return false
}

func near(got, want float64) bool { return math.Abs(got-want) < microUSD }

func TestPricesUsed(t *testing.T) {
	cards := pricing.Defaults()
	for _, tc := range []struct {
		key   pricing.Key
		meter pricing.Meter
		want  float64
	}{
		{pricing.Key{Provider: catalog.AWS, Plan: pricing.Lambda, Region: "us-east-1", Arch: catalog.X86_64}, pricing.GBSecond, awsGBs},
		{pricing.Key{Provider: catalog.AWS, Plan: pricing.Lambda, Region: "us-east-1", Arch: catalog.X86_64}, pricing.Request, awsReq},
		{pricing.Key{Provider: catalog.AWS, Plan: pricing.Lambda, Region: "us-east-1", Arch: catalog.ARM64}, pricing.GBSecond, awsArmGBs},
		{pricing.Key{Provider: catalog.GCP, Plan: pricing.Gen2, Region: "us-central1", Arch: catalog.X86_64}, pricing.VCPUSecond, gcpVCPU},
		{pricing.Key{Provider: catalog.GCP, Plan: pricing.Gen2, Region: "us-central1", Arch: catalog.X86_64}, pricing.GiBSecond, gcpGiB},
		{pricing.Key{Provider: catalog.GCP, Plan: pricing.Gen2, Region: "us-central1", Arch: catalog.X86_64}, pricing.Request, gcpReq},
	} {
		card, ok := pricing.Find(cards, tc.key)
		if !ok {
			t.Fatalf("no built-in card %s", tc.key)
		}
		got, err := card.ListPrice(tc.meter)
		if err != nil || got != tc.want {
			t.Errorf("%s %s: got %v (%v), want %v: the expected figures below need working out again", tc.key, tc.meter, got, err, tc.want)
		}
	}
}

func TestMoveDefault(t *testing.T) {
	// 7,000 calls answered by Lambda (1,024 MB, 120 ms billed as reported,
	// 130 ms round trip) and some by Cloud Run functions (256 MB, billed on
	// FISO's round trip rounded up to 100 ms).
	awsPerCall := 0.120*1*awsGBs + awsReq // 2.200004e-6
	gcpPerCall := func(billedS float64) float64 {
		return 0.167*billedS*gcpVCPU + 0.25*billedS*gcpGiB + gcpReq // 256 MB: 0.167 vCPU, 0.25 GiB
	}
	for _, tc := range []struct {
		name       string
		policy     *policy.Policy
		gcpCalls   int
		gcpMs      float64 // round trip
		gcpBilledS float64 // what that round trip bills
		want       bool
		wantConf   string
		wantAction string
		wantSkip   string
	}{
		{name: "faster and cheaper", policy: ptr(staticPolicy("orders-static", "orders", catalog.AWS)), gcpCalls: 700, gcpMs: 60, gcpBilledS: 0.1,
			want: true, wantConf: Medium, wantAction: `In policy "orders-static" set default_provider: gcp`},
		{name: "slower within tolerance", policy: ptr(staticPolicy("orders-static", "orders", catalog.AWS)), gcpCalls: 1000, gcpMs: 140, gcpBilledS: 0.2,
			want: true, wantConf: High, wantAction: `In policy "orders-static" set default_provider: gcp`},
		{name: "failover list keeps the old default", policy: ptr(staticPolicy("orders-static", "orders", catalog.AWS, catalog.GCP, catalog.Azure)), gcpCalls: 700, gcpMs: 60, gcpBilledS: 0.1,
			want: true, wantConf: Medium, wantAction: `default_provider: gcp, failover: [aws, azure]`},
		{name: "no policy: the first deployment is the default", gcpCalls: 700, gcpMs: 60, gcpBilledS: 0.1,
			want: true, wantConf: Medium, wantAction: `Create and activate a static policy for function "orders" with default_provider: gcp`},
		{name: "slower beyond tolerance", policy: ptr(staticPolicy("orders-static", "orders", catalog.AWS)), gcpCalls: 700, gcpMs: 150, gcpBilledS: 0.2,
			wantSkip: "slower than the default aws-us-east-1: median 150.0 ms vs 130.0 ms"},
		{name: "thin evidence", policy: ptr(staticPolicy("orders-static", "orders", catalog.AWS)), gcpCalls: 99, gcpMs: 60, gcpBilledS: 0.1,
			wantSkip: "99 calls in the window, fewer than 100"},
		{name: "a learning policy", policy: &policy.Policy{Name: "orders-cheap", Function: "orders", Strategy: policy.Cheapest}, gcpCalls: 700, gcpMs: 60, gcpBilledS: 0.1,
			wantSkip: "routes with the cheapest strategy"},
		{name: "excluded by residency", policy: &policy.Policy{Name: "orders-static", Function: "orders", Strategy: policy.Static, DefaultProvider: catalog.AWS, AllowedProviders: []catalog.Provider{catalog.AWS, catalog.Azure}},
			gcpCalls: 700, gcpMs: 60, gcpBilledS: 0.1, wantSkip: "excludes it (allowed_providers)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fl := newFakeLog()
			fn := function("orders", awsEast, gcpCentr, azEast)
			if tc.policy != nil {
				fn.ActivePolicy = tc.policy.Name
				fl.policies[tc.policy.Name] = *tc.policy
			}
			fl.functions = []catalog.Function{fn}
			fl.log("orders", now, span,
				calls{d: awsEast, n: 7000, latencyMs: 130, billedMs: 120},
				calls{d: gcpCentr, n: tc.gcpCalls, latencyMs: tc.gcpMs},
				calls{d: azEast, n: 50, latencyMs: 90, memoryMB: 128},
			)
			rep := recommend(t, fl, nil, Options{})
			got, ok := find(rep, KindMoveDefault, "orders", gcpCentr.ID)
			if ok != tc.want {
				t.Fatalf("move-default recommended: got %v, want %v; report %+v", ok, tc.want, rep)
			}
			if !tc.want {
				if !skipped(rep, KindMoveDefault, "orders", gcpCentr.ID, tc.wantSkip) && !skipped(rep, KindMoveDefault, "orders", "", tc.wantSkip) {
					t.Errorf("no skip with %q in %+v", tc.wantSkip, rep.Skipped)
				}
				return
			}
			monthlyCalls := float64(7000+tc.gcpCalls+50) * perMonth
			want := monthlyCalls * (awsPerCall - gcpPerCall(tc.gcpBilledS))
			if !near(got.MonthlySavingsUSD, want) {
				t.Errorf("savings: got %.9f, want %.9f", got.MonthlySavingsUSD, want)
			}
			if ev := got.Evidence; !near(ev.MonthlyCostNowUSD, monthlyCalls*awsPerCall) || ev.Calls != 7000+tc.gcpCalls+50 || len(ev.Deployments) != 2 {
				t.Errorf("evidence: got %+v", ev)
			}
			if got.Confidence != tc.wantConf {
				t.Errorf("confidence: got %s, want %s", got.Confidence, tc.wantConf)
			}
			if !strings.Contains(got.Action, tc.wantAction) {
				t.Errorf("action: got %q, want it to contain %q", got.Action, tc.wantAction)
			}
			if !skipped(rep, KindMoveDefault, "orders", azEast.ID, "50 calls in the window, fewer than 100") {
				t.Errorf("azure's 50 calls not reported as thin: %+v", rep.Skipped)
			}
		})
	}
}

func TestRightSizeMemory(t *testing.T) {
	awsPerCall := func(billedS float64, mb int) float64 { return billedS*float64(mb)/1024*awsGBs + awsReq }
	at := func(d catalog.Deployment, mb int) catalog.Deployment { d.MemoryMB = mb; return d }
	for _, tc := range []struct {
		name     string
		fn       catalog.Function
		calls    []calls
		target   string
		wantMB   int
		want     float64 // monthly savings
		wantConf string
		wantSkip string
	}{
		{
			// Two deployments at 1,024 and 512 MB: half the memory, 5%
			// longer: the 1,024 MB one should run at 512.
			name: "two deployments, duration barely changes",
			fn:   function("resize", awsEast, awsSmall),
			calls: []calls{
				{d: awsEast, n: 7000, latencyMs: 110, billedMs: 100},
				{d: awsSmall, n: 7000, latencyMs: 115, billedMs: 105},
			},
			target: awsEast.ID, wantMB: 512, wantConf: High,
			want: 7000 * perMonth * (awsPerCall(0.100, 1024) - awsPerCall(0.105, 512)),
		},
		{
			// One deployment whose size went from 256 to 1,024 MB within
			// the window with no gain: back to 256.
			name: "one deployment resized within the window",
			fn:   function("resize", awsEast),
			calls: []calls{
				{d: awsEast, n: 7000, latencyMs: 110, billedMs: 100},
				{d: awsEast, n: 500, latencyMs: 112, billedMs: 102, memoryMB: 256},
			},
			target: awsEast.ID, wantMB: 256, wantConf: Medium,
			want: 7500 * perMonth * (awsPerCall(0.100, 1024) - awsPerCall(0.102, 256)),
		},
		{
			// 128 MB runs ten times as long as 1,024 MB: the larger size is
			// cheaper and faster.
			name: "a larger size is cheaper",
			fn:   function("resize", at(awsEast, 128), at(awsSmall, 1024)),
			calls: []calls{
				{d: at(awsEast, 128), n: 2000, latencyMs: 1010, billedMs: 1000},
				{d: at(awsSmall, 1024), n: 2000, latencyMs: 110, billedMs: 100},
			},
			target: awsEast.ID, wantMB: 1024, wantConf: High,
			want: 2000 * perMonth * (awsPerCall(1.0, 128) - awsPerCall(0.1, 1024)),
		},
		{
			name: "duration changes with memory",
			fn:   function("resize", awsEast, awsSmall),
			calls: []calls{
				{d: awsEast, n: 7000, latencyMs: 110, billedMs: 100},
				{d: awsSmall, n: 7000, latencyMs: 200, billedMs: 190},
			},
			target:   awsEast.ID,
			wantSkip: "512 MB is cheaper per call than 1024 MB but its calls run longer: median 190.0 ms vs 100.0 ms",
		},
		{
			name: "thin evidence at the smaller size",
			fn:   function("resize", awsEast, awsSmall),
			calls: []calls{
				{d: awsEast, n: 7000, latencyMs: 110, billedMs: 100},
				{d: awsSmall, n: 60, latencyMs: 115, billedMs: 105},
			},
			target:   awsEast.ID,
			wantSkip: "512 MB: 60 calls, fewer than 100",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fl := newFakeLog()
			fl.functions = []catalog.Function{tc.fn}
			fl.log("resize", now, span, tc.calls...)
			rep := recommend(t, fl, nil, Options{})
			got, ok := find(rep, KindRightSize, "resize", tc.target)
			if ok != (tc.wantSkip == "") {
				t.Fatalf("right-size recommended: got %v, want %v; report %+v", ok, tc.wantSkip == "", rep)
			}
			if !ok {
				if !skipped(rep, KindRightSize, "resize", tc.target, tc.wantSkip) {
					t.Errorf("no skip with %q in %+v", tc.wantSkip, rep.Skipped)
				}
				return
			}
			if !near(got.MonthlySavingsUSD, tc.want) {
				t.Errorf("savings: got %.9f, want %.9f", got.MonthlySavingsUSD, tc.want)
			}
			if !strings.Contains(got.Action, "to "+itoa(tc.wantMB)+" (now") {
				t.Errorf("action: got %q, want memory %d", got.Action, tc.wantMB)
			}
			if got.Confidence != tc.wantConf {
				t.Errorf("confidence: got %s, want %s", got.Confidence, tc.wantConf)
			}
			if len(got.Evidence.MemorySizes) != 2 {
				t.Errorf("memory sizes in evidence: got %+v", got.Evidence.MemorySizes)
			}
		})
	}
}

func TestRightSizeNeedsSeveralSizes(t *testing.T) {
	fl := newFakeLog()
	fl.functions = []catalog.Function{function("one", awsEast)}
	fl.log("one", now, span, calls{d: awsEast, n: 5000, latencyMs: 110, billedMs: 100})
	rep := recommend(t, fl, nil, Options{})
	if got, ok := find(rep, KindRightSize, "one", awsEast.ID); ok {
		t.Errorf("a single size got a recommendation: %+v", got)
	}
}

func TestARM64(t *testing.T) {
	x86PerCall := 0.120*awsGBs + awsReq
	armPerCall := func(billedS float64) float64 { return billedS*awsArmGBs + awsReq }
	for _, tc := range []struct {
		name     string
		fn       catalog.Function
		calls    []calls
		want     float64
		wantConf string
		wantSkip string
	}{
		{
			name:     "no arm64 evidence: durations taken as unchanged",
			fn:       function("arm", awsEast),
			calls:    []calls{{d: awsEast, n: 7000, latencyMs: 130, billedMs: 120}},
			want:     7000 * perMonth * (x86PerCall - armPerCall(0.120)),
			wantConf: Medium,
		},
		{
			name:     "an arm64 deployment runs 5% longer",
			fn:       function("arm", awsEast, awsArm),
			calls:    []calls{{d: awsEast, n: 7000, latencyMs: 130, billedMs: 120}, {d: awsArm, n: 2000, latencyMs: 136, billedMs: 126}},
			want:     7000 * perMonth * (x86PerCall - armPerCall(0.126)),
			wantConf: High,
		},
		{
			name:     "an arm64 deployment runs 30% longer",
			fn:       function("arm", awsEast, awsArm),
			calls:    []calls{{d: awsEast, n: 7000, latencyMs: 130, billedMs: 120}, {d: awsArm, n: 2000, latencyMs: 166, billedMs: 156}},
			wantSkip: "arm64 would cost more",
		},
		{
			name:     "thin evidence",
			fn:       function("arm", awsEast),
			calls:    []calls{{d: awsEast, n: 80, latencyMs: 130, billedMs: 120}},
			wantSkip: "80 calls in the window, fewer than 100",
		},
		{
			name:     "no arm64 card in the region",
			fn:       function("arm", catalog.Deployment{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "ca-central-1", Target: "orders", MemoryMB: 1024, Arch: catalog.X86_64, Plan: "lambda"}),
			calls:    []calls{{d: catalog.Deployment{ID: "aws-us-east-1", Provider: catalog.AWS, Region: "ca-central-1", MemoryMB: 1024}, n: 500, latencyMs: 130, billedMs: 120}},
			wantSkip: "no rate card in force for aws/lambda/ca-central-1",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fl := newFakeLog()
			fl.functions = []catalog.Function{tc.fn}
			fl.log("arm", now, span, tc.calls...)
			rep := recommend(t, fl, nil, Options{})
			got, ok := find(rep, KindARM64, "arm", awsEast.ID)
			if ok != (tc.wantSkip == "") {
				t.Fatalf("arm64 recommended: got %v, want %v; report %+v", ok, tc.wantSkip == "", rep)
			}
			if !ok {
				if !skipped(rep, KindARM64, "arm", awsEast.ID, tc.wantSkip) {
					t.Errorf("no skip with %q in %+v", tc.wantSkip, rep.Skipped)
				}
				return
			}
			if !near(got.MonthlySavingsUSD, tc.want) {
				t.Errorf("savings: got %.9f, want %.9f", got.MonthlySavingsUSD, tc.want)
			}
			if got.Confidence != tc.wantConf {
				t.Errorf("confidence: got %s, want %s", got.Confidence, tc.wantConf)
			}
			if _, ok := find(rep, KindARM64, "arm", awsArm.ID); ok {
				t.Error("an arm64 deployment got an arm64 recommendation")
			}
		})
	}
}

func TestARM64OnlyOnLambda(t *testing.T) {
	fl := newFakeLog()
	fl.functions = []catalog.Function{function("elsewhere", gcpCentr, azEast)}
	fl.log("elsewhere", now, span, calls{d: gcpCentr, n: 2000, latencyMs: 60}, calls{d: azEast, n: 2000, latencyMs: 60})
	rep := recommend(t, fl, nil, Options{})
	for _, r := range rep.Recommendations {
		if r.Kind == KindARM64 {
			t.Errorf("got %+v", r)
		}
	}
}

func TestRemoveIdle(t *testing.T) {
	t.Run("functions", func(t *testing.T) {
		fl := newFakeLog()
		ghost := function("ghost", awsEast)
		recent := function("recent", awsEast)
		recent.CreatedAt = now.Add(-3 * 24 * time.Hour)
		young := function("young", awsEast)
		young.CreatedAt = now.Add(-12 * time.Hour)
		fl.functions = []catalog.Function{ghost, recent, young}
		rep := recommend(t, fl, nil, Options{})
		for _, tc := range []struct {
			fn, conf string
		}{{"ghost", High}, {"recent", Medium}} {
			got, ok := find(rep, KindRemoveIdle, tc.fn, "")
			if !ok {
				t.Fatalf("%s: no remove-idle recommendation in %+v", tc.fn, rep)
			}
			if got.Confidence != tc.conf || got.MonthlySavingsUSD != 0 {
				t.Errorf("%s: got confidence %s savings %v, want %s and 0", tc.fn, got.Confidence, got.MonthlySavingsUSD, tc.conf)
			}
		}
		if _, ok := find(rep, KindRemoveIdle, "young", ""); ok {
			t.Error("a function 12 hours old was called idle")
		}
		if !skipped(rep, "", "young", "", "too short to extrapolate") {
			t.Errorf("young not skipped: %+v", rep.Skipped)
		}
	})
	t.Run("deployments", func(t *testing.T) {
		awsWest := catalog.Deployment{ID: "aws-us-west-2", Provider: catalog.AWS, Region: "us-west-2", Target: "orders-west", MemoryMB: 1024, Arch: catalog.X86_64, Plan: "lambda"}
		fl := newFakeLog()
		fn := function("orders", awsEast, gcpCentr, azEast, awsWest)
		fn.ActivePolicy = "orders-static"
		fl.policies["orders-static"] = staticPolicy("orders-static", "orders", catalog.AWS, catalog.GCP)
		fl.functions = []catalog.Function{fn}
		fl.log("orders", now, span, calls{d: awsEast, n: 2000, latencyMs: 130, billedMs: 120})
		rep := recommend(t, fl, nil, Options{})
		for _, tc := range []struct {
			d, conf string
		}{
			{gcpCentr.ID, Low}, // a named failover: a standby
			{awsWest.ID, Low},  // the default provider's other deployment: a standby
			{azEast.ID, High},  // the failover list does not name azure: never routed to
		} {
			got, ok := find(rep, KindRemoveIdle, "orders", tc.d)
			if !ok {
				t.Fatalf("%s: no remove-idle recommendation in %+v", tc.d, rep.Recommendations)
			}
			if got.Confidence != tc.conf {
				t.Errorf("%s: confidence got %s, want %s (%v)", tc.d, got.Confidence, tc.conf, got.Evidence.Assumptions)
			}
		}
		if _, ok := find(rep, KindRemoveIdle, "orders", awsEast.ID); ok {
			t.Error("the deployment that took every call was called idle")
		}
	})
	t.Run("a function changed within the window", func(t *testing.T) {
		fl := newFakeLog()
		fn := function("orders", awsEast, azEast)
		fn.ActivePolicy, fn.UpdatedAt = "orders-static", now.Add(-48*time.Hour)
		fl.policies["orders-static"] = staticPolicy("orders-static", "orders", catalog.AWS, catalog.GCP)
		fl.functions = []catalog.Function{fn}
		fl.log("orders", now, span, calls{d: awsEast, n: 2000, latencyMs: 130, billedMs: 120})
		rep := recommend(t, fl, nil, Options{})
		got, ok := find(rep, KindRemoveIdle, "orders", azEast.ID)
		if !ok || got.Confidence != Low || !strings.Contains(got.Action, "or keep it as a standby") {
			t.Errorf("got %v %+v, want a low-confidence recommendation: the deployment may be new", ok, got)
		}
	})
	t.Run("failed attempts are not idle", func(t *testing.T) {
		fl := newFakeLog()
		fl.functions = []catalog.Function{function("flaky", awsEast, gcpCentr)}
		fl.log("flaky", now, span, calls{d: awsEast, n: 500, latencyMs: 130, billedMs: 120}, calls{d: gcpCentr, n: 20, latencyMs: 3000, failed: true})
		rep := recommend(t, fl, nil, Options{})
		if got, ok := find(rep, KindRemoveIdle, "flaky", gcpCentr.ID); ok {
			t.Errorf("a deployment that was tried got %+v", got)
		}
	})
	t.Run("thin evidence", func(t *testing.T) {
		fl := newFakeLog()
		fl.functions = []catalog.Function{function("rare", awsEast, gcpCentr)}
		fl.log("rare", now, span, calls{d: awsEast, n: 40, latencyMs: 130, billedMs: 120})
		rep := recommend(t, fl, nil, Options{})
		if _, ok := find(rep, KindRemoveIdle, "rare", gcpCentr.ID); ok {
			t.Error("40 calls were enough to call a deployment idle")
		}
		if !skipped(rep, KindRemoveIdle, "rare", "", "40 calls in the window, fewer than 100") {
			t.Errorf("no skip: %+v", rep.Skipped)
		}
	})
}

func TestBudgetForecast(t *testing.T) {
	monthly := budget.Budget{Scope: budget.Function, ID: "orders", Period: budget.Month, LimitUSD: 100}
	onTrack := budget.Budget{Scope: budget.Team, ID: "payments", Period: budget.Month, LimitUSD: 200}
	daily := budget.Budget{Scope: budget.Global, ID: budget.GlobalID, Period: budget.Day, LimitUSD: 10}
	fb := &fakeBudgets{
		budgets: []budget.Budget{monthly, onTrack, daily},
		spent:   map[budget.Ref]float64{monthly.Ref(): 80, onTrack.Ref(): 80, daily.Ref(): 6},
	}
	rep := recommend(t, newFakeLog(), fb, Options{})

	// November 20 12:00 is 19.5 of November's 30 days: $80 spent
	// forecasts 80/0.65 = $123.08, $23.08 over; the limit is reached
	// 19.5 × 100/80 = 24.375 days in, November 25 09:00.
	got := findBudget(t, rep, monthly.Ref())
	if f := got.Evidence.Forecast; !near(f.ForecastUSD, 80/0.65) || !near(f.OverspendUSD, 80/0.65-100) ||
		!f.RunsOutAt.Equal(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)) || !near(f.BurnUSDPerDay, 80/19.5) {
		t.Errorf("monthly forecast: got %+v", f)
	}
	if !near(got.MonthlySavingsUSD, 80/0.65-100) || got.Confidence != High || got.Function != "orders" {
		t.Errorf("monthly: got savings %v confidence %s function %q", got.MonthlySavingsUSD, got.Confidence, got.Function)
	}
	// Half the day gone, $6 of $10 spent: $12 forecast, $2 over a day,
	// $60 over 30 days; the limit is reached at 20:00.
	got = findBudget(t, rep, daily.Ref())
	if f := got.Evidence.Forecast; !near(f.ForecastUSD, 12) || !f.RunsOutAt.Equal(time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)) {
		t.Errorf("daily forecast: got %+v", f)
	}
	if !near(got.MonthlySavingsUSD, 60) {
		t.Errorf("daily savings: got %v, want 60", got.MonthlySavingsUSD)
	}
	for _, r := range rep.Recommendations {
		if r.Budget != nil && *r.Budget == onTrack.Ref() {
			t.Errorf("a budget on track got %+v", r)
		}
	}
	if rep.Recommendations[0].Budget == nil || *rep.Recommendations[0].Budget != daily.Ref() {
		t.Errorf("not ordered by savings: first is %+v", rep.Recommendations[0])
	}
}

func TestBudgetForecastEarlyInPeriod(t *testing.T) {
	early := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // 1 of 30 days
	thin := budget.Budget{Scope: budget.Team, ID: "a", Period: budget.Month, LimitUSD: 100}
	spent := budget.Budget{Scope: budget.Team, ID: "b", Period: budget.Month, LimitUSD: 100}
	fb := &fakeBudgets{budgets: []budget.Budget{thin, spent}, spent: map[budget.Ref]float64{thin.Ref(): 10, spent.Ref(): 100}}
	rep, err := New(newFakeLog(), defaultCards{}, fb, Options{}).Recommend(context.Background(), early)
	if err != nil {
		t.Fatal(err)
	}
	ref := thin.Ref()
	if len(rep.Skipped) != 1 || rep.Skipped[0].Budget == nil || *rep.Skipped[0].Budget != ref || !strings.Contains(rep.Skipped[0].Reason, "too early") {
		t.Errorf("skipped: got %+v, want %s too early", rep.Skipped, ref)
	}
	if len(rep.Recommendations) != 1 || !rep.Recommendations[0].Evidence.Forecast.AlreadyExhausted || rep.Recommendations[0].Confidence != High {
		t.Errorf("an exhausted budget: got %+v", rep.Recommendations)
	}
}

func findBudget(t *testing.T, rep Report, ref budget.Ref) Recommendation {
	t.Helper()
	for _, r := range rep.Recommendations {
		if r.Kind == KindBudgetForecast && r.Budget != nil && *r.Budget == ref {
			return r
		}
	}
	t.Fatalf("no forecast for %s in %+v", ref, rep.Recommendations)
	return Recommendation{}
}

func TestSortedBySavings(t *testing.T) {
	fl := newFakeLog()
	fl.functions = []catalog.Function{function("orders", awsEast, gcpCentr, azEast)}
	fl.log("orders", now, span, calls{d: awsEast, n: 7000, latencyMs: 130, billedMs: 120}, calls{d: gcpCentr, n: 700, latencyMs: 60})
	rep := recommend(t, fl, nil, Options{})
	if len(rep.Recommendations) < 3 {
		t.Fatalf("got %d recommendations, want move-default, arm64 and remove-idle: %+v", len(rep.Recommendations), rep.Recommendations)
	}
	for i := 1; i < len(rep.Recommendations); i++ {
		if rep.Recommendations[i].MonthlySavingsUSD > rep.Recommendations[i-1].MonthlySavingsUSD {
			t.Errorf("recommendation %d saves more than %d: %+v", i, i-1, rep.Recommendations)
		}
	}
}

func TestRecordBound(t *testing.T) {
	fl := newFakeLog()
	fl.functions = []catalog.Function{function("busy", awsEast)}
	fl.log("busy", now, span, calls{d: awsEast, n: 2500, latencyMs: 130, billedMs: 120})
	rep := recommend(t, fl, nil, Options{MaxRecords: 1200})
	got, ok := find(rep, KindARM64, "busy", awsEast.ID)
	if !ok {
		t.Fatalf("no arm64 recommendation: %+v", rep)
	}
	ev := got.Evidence
	// The 1,200 newest of 2,500 calls spread over 13 days: the window is
	// cut at the 1,200th, and the volume extrapolates from that window.
	oldest := now.Add(-time.Duration(1200) * span / 2501)
	if !ev.Truncated || ev.Records != 1200 || ev.Calls != 1200 || !ev.Since.Equal(oldest) {
		t.Errorf("evidence: got truncated %v records %d calls %d since %v, want true, 1200, 1200, %v", ev.Truncated, ev.Records, ev.Calls, ev.Since, oldest)
	}
	if want := 1200 * float64(month) / float64(now.Sub(oldest)); math.Abs(ev.MonthlyCalls-want) > 1e-6 {
		t.Errorf("monthly calls: got %v, want %v", ev.MonthlyCalls, want)
	}
	if fl.maxLimit > 1000 || fl.pages != 2 {
		t.Errorf("read %d pages of up to %d records, want 2 of at most 1000", fl.pages, fl.maxLimit)
	}
}

func TestErrors(t *testing.T) {
	boom := errors.New("boom")
	fl := newFakeLog()
	fl.listErr = boom
	if _, err := New(fl, defaultCards{}, nil, Options{}).Recommend(context.Background(), now); !errors.Is(err, boom) || !strings.Contains(err.Error(), "list functions") {
		t.Errorf("list error: got %v", err)
	}
	if _, err := New(newFakeLog(), defaultCards{err: boom}, nil, Options{}).Recommend(context.Background(), now); !errors.Is(err, boom) || !strings.Contains(err.Error(), "rate cards") {
		t.Errorf("cards error: got %v", err)
	}
	// A policy deleted since the function was read routes nothing: the
	// function is treated as having none.
	fl = newFakeLog()
	fn := function("orders", awsEast)
	fn.ActivePolicy = "gone"
	fl.functions = []catalog.Function{fn}
	if _, err := New(fl, defaultCards{}, nil, Options{}).Recommend(context.Background(), now); err != nil {
		t.Errorf("deleted policy: got %v", err)
	}
}

func TestJSONShape(t *testing.T) {
	fl := newFakeLog()
	fl.functions = []catalog.Function{function("orders", awsEast)}
	fl.log("orders", now, span, calls{d: awsEast, n: 500, latencyMs: 130, billedMs: 120})
	rep := recommend(t, fl, nil, Options{})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"generated_at"`, `"recommendations"`, `"skipped"`, `"kind":"arm64"`, `"monthly_savings_usd"`, `"confidence":"medium"`,
		`"evidence"`, `"monthly_cost_now_usd"`, `"monthly_cost_after_usd"`, `"window_days"`, `"deployments"`, `"median_billed_ms"`, `"cost_per_call_usd"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
	if strings.Contains(string(b), `"budget"`) {
		t.Errorf("a function recommendation names a budget: %s", b)
	}
	empty, _ := json.Marshal(recommend(t, newFakeLog(), nil, Options{}))
	if !strings.Contains(string(empty), `"recommendations":[]`) || !strings.Contains(string(empty), `"skipped":[]`) {
		t.Errorf("empty report: got %s, want empty lists rather than null", empty)
	}
}

func ptr[T any](v T) *T { return &v }

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
