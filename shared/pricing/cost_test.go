package pricing

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

func TestCostEdgeCases(t *testing.T) {
	tests := []struct {
		name      string
		card      Key
		usage     Usage
		wantMs    float64
		wantMB    int
		wantComp  float64
		wantTotal float64
	}{
		{"aws 1 ms billed 1 ms", awsUSE1x86, Usage{DurationMs: 1, MemoryMB: 128}, 1, 128, 2.0833375e-9, 2.020833375e-7},
		{"aws 0.4 ms billed 1 ms", awsUSE1x86, Usage{DurationMs: 0.4, MemoryMB: 128}, 1, 128, 2.0833375e-9, 2.020833375e-7},
		{"aws 0 ms billed 1 ms", awsUSE1x86, Usage{DurationMs: 0, MemoryMB: 128}, 1, 128, 2.0833375e-9, 2.020833375e-7},
		{"aws 1.0001 ms billed 2 ms", awsUSE1x86, Usage{DurationMs: 1.0001, MemoryMB: 1024}, 2, 1024, 3.33334e-8, 2.333334e-7},
		{"aws x86 120 ms 1536 MB", awsUSE1x86, Usage{DurationMs: 120, MemoryMB: 1536}, 120, 1536, 3.000006e-6, 3.200006e-6},
		{"aws arm 120 ms 1536 MB", awsUSE1arm, Usage{DurationMs: 120, MemoryMB: 1536}, 120, 1536, 2.400012e-6, 2.600012e-6},
		{"aws ignores observed memory", awsUSE1x86, Usage{DurationMs: 120, MemoryMB: 1536, ObservedMemoryMB: 100}, 120, 1536, 3.000006e-6, 3.200006e-6},
		{"azure consumption 50 ms billed 100 ms", azConsEast, Usage{DurationMs: 50, ObservedMemoryMB: 128}, 100, 128, 2e-7, 4e-7},
		{"azure consumption 129 MB billed 256 MB", azConsEast, Usage{DurationMs: 1000, ObservedMemoryMB: 129}, 1000, 256, 4e-6, 4.2e-6},
		{"azure consumption 100.5 ms billed 101 ms", azConsEast, Usage{DurationMs: 100.5, ObservedMemoryMB: 128}, 101, 128, 2.02e-7, 4.02e-7},
		{"azure consumption falls back to configured memory", azConsEast, Usage{DurationMs: 1000, MemoryMB: 300}, 1000, 384, 6e-6, 6.2e-6},
		{"azure consumption no memory bills 128 MB", azConsEast, Usage{DurationMs: 1000}, 1000, 128, 2e-6, 2.2e-6},
		{"azure consumption bills at most 1536 MB", azConsEast, Usage{DurationMs: 1000, ObservedMemoryMB: 3000}, 1000, 1536, 2.4e-5, 2.42e-5},
		{"azure flex 1050 ms billed 1100 ms", azFlexEast, Usage{DurationMs: 1050, MemoryMB: 2048}, 1100, 2048, 5.72e-5, 5.76e-5},
		{"azure flex 300 ms billed 1000 ms", azFlexEast, Usage{DurationMs: 300, MemoryMB: 2048}, 1000, 2048, 5.2e-5, 5.24e-5},
		{"gcp gen2 101 ms billed 200 ms", gcpGen2T1, Usage{DurationMs: 101, MemoryMB: 256}, 200, 256, 9.266e-7, 1.3266e-6},
		{"gcp gen2 100 ms billed 100 ms", gcpGen2T1, Usage{DurationMs: 100, MemoryMB: 256}, 100, 256, 4.633e-7, 8.633e-7},
		{"gcp gen2 0.1+0.2 s billed 300 ms", gcpGen2T1, Usage{DurationMs: (0.1 + 0.2) * 1000, MemoryMB: 256}, 300, 256, 1.3899e-6, 1.7899e-6},
		{"gcp gen2 between sizes gets next size's cpu", gcpGen2T1, Usage{DurationMs: 1000, MemoryMB: 768}, 1000, 768, 0.583*0.000024 + 0.75*0.0000025, 0.583*0.000024 + 0.75*0.0000025 + 4e-7},
		{"gcp gen2 tier 2", gcpGen2T2, Usage{DurationMs: 1000, MemoryMB: 1024}, 1000, 1024, 0.583*0.0000336 + 0.0000035, 0.583*0.0000336 + 0.0000035 + 4e-7},
		{"gcp gen1 101 ms billed 200 ms", gcpGen1T1, Usage{DurationMs: 101, MemoryMB: 128}, 200, 128, 4.625e-7, 8.625e-7},
		{"gcp gen1 tier 2 128 MB 100 ms", gcpGen1T2, Usage{DurationMs: 100, MemoryMB: 128}, 100, 128, 3.2375e-7, 7.2375e-7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultCard(t, tc.card)
			got, err := c.Cost(tc.usage)
			if err != nil {
				t.Fatalf("Cost(%+v): %v", tc.usage, err)
			}
			if got.BilledDurationMs != tc.wantMs {
				t.Errorf("billed duration: got %v ms, want %v ms", got.BilledDurationMs, tc.wantMs)
			}
			if got.BilledMemoryMB != tc.wantMB {
				t.Errorf("billed memory: got %d MB, want %d MB", got.BilledMemoryMB, tc.wantMB)
			}
			if !closeRel(got.ComputeUSD, tc.wantComp) {
				t.Errorf("compute: got $%v, want $%v", got.ComputeUSD, tc.wantComp)
			}
			if !closeRel(got.TotalUSD, tc.wantTotal) {
				t.Errorf("total: got $%v, want $%v", got.TotalUSD, tc.wantTotal)
			}
			if got.TotalUSD != got.ComputeUSD+got.RequestUSD {
				t.Errorf("total $%v is not compute $%v + requests $%v", got.TotalUSD, got.ComputeUSD, got.RequestUSD)
			}
			if got.CardVersion != c.Version || got.CardVersion == "" {
				t.Errorf("card version: got %q, want %q", got.CardVersion, c.Version)
			}
			if len(got.Quantities) != len(MetersOf(c.Plan)) || got.Quantities[Request] != 1 {
				t.Errorf("quantities: got %v, want every meter of %s and one request", got.Quantities, c.Plan)
			}
		})
	}
}

func TestArmIsCheaperThanX86(t *testing.T) {
	u := Usage{DurationMs: 250, MemoryMB: 2048}
	x86, err := defaultCard(t, awsUSE1x86).Cost(u)
	if err != nil {
		t.Fatal(err)
	}
	arm, err := defaultCard(t, awsUSE1arm).Cost(u)
	if err != nil {
		t.Fatal(err)
	}
	if x86.Quantities[GBSecond] != arm.Quantities[GBSecond] {
		t.Errorf("GB-s: got x86 %v and arm %v, want equal", x86.Quantities[GBSecond], arm.Quantities[GBSecond])
	}
	if r := arm.ComputeUSD / x86.ComputeUSD; math.Abs(r-0.0000133334/0.0000166667) > 1e-12 {
		t.Errorf("arm/x86 compute: got %v, want %v", r, 0.0000133334/0.0000166667)
	}
	if arm.RequestUSD != x86.RequestUSD {
		t.Errorf("requests: got arm $%v and x86 $%v, want equal", arm.RequestUSD, x86.RequestUSD)
	}
}

func TestCostErrors(t *testing.T) {
	withoutRequest := defaultCard(t, awsUSE1x86)
	withoutRequest.Prices = withoutRequest.Prices[:1]
	freeOnly := defaultCard(t, azConsEast)
	freeOnly.Prices = []Price{{Meter: GBSecond, Tiers: []Tier{{From: 0, USDPerUnit: 0}}}, freeOnly.Prices[1]}
	unknownPlan := defaultCard(t, awsUSE1x86)
	unknownPlan.Plan = "premium"
	tests := []struct {
		name    string
		card    Card
		usage   Usage
		wantErr error
	}{
		{"negative duration", defaultCard(t, awsUSE1x86), Usage{DurationMs: -1, MemoryMB: 128}, fault.ErrInvalid},
		{"NaN duration", defaultCard(t, awsUSE1x86), Usage{DurationMs: math.NaN(), MemoryMB: 128}, fault.ErrInvalid},
		{"infinite duration", defaultCard(t, gcpGen2T1), Usage{DurationMs: math.Inf(1), MemoryMB: 256}, fault.ErrInvalid},
		{"lambda memory unset", defaultCard(t, awsUSE1x86), Usage{DurationMs: 10}, fault.ErrInvalid},
		{"lambda memory above 10240 MB", defaultCard(t, awsUSE1x86), Usage{DurationMs: 10, MemoryMB: 10241}, fault.ErrInvalid},
		{"flex memory below 512 MB", defaultCard(t, azFlexEast), Usage{DurationMs: 10, MemoryMB: 256}, fault.ErrInvalid},
		{"gen1 memory above 8192 MB", defaultCard(t, gcpGen1T1), Usage{DurationMs: 10, MemoryMB: 16384}, fault.ErrInvalid},
		{"gen2 memory above 32 GiB", defaultCard(t, gcpGen2T1), Usage{DurationMs: 10, MemoryMB: 65536}, fault.ErrInvalid},
		{"consumption negative observed memory", defaultCard(t, azConsEast), Usage{DurationMs: 10, ObservedMemoryMB: -5}, fault.ErrInvalid},
		{"card lacks the request meter", withoutRequest, Usage{DurationMs: 10, MemoryMB: 128}, ErrNoPrice},
		{"meter has no paid tier", freeOnly, Usage{DurationMs: 10, ObservedMemoryMB: 128}, ErrNoPrice},
		{"unknown plan", unknownPlan, Usage{DurationMs: 10, MemoryMB: 128}, ErrNoPrice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.card.Cost(tc.usage)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == ErrNoPrice && tc.card.Plan != "premium" && !containsAny(err.Error(), "request", "gb_second") {
				t.Errorf("error %q does not name the meter", err)
			}
		})
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestBilledDurationMs(t *testing.T) {
	tests := []struct {
		name    string
		billing Billing
		ms      float64
		want    float64
	}{
		{"lambda rounds up to 1 ms", BillingOf(Lambda), 2.2, 3},
		{"lambda whole ms stays", BillingOf(Lambda), 7, 7},
		{"consumption minimum", BillingOf(Consumption), 99.9, 100},
		{"consumption above minimum by 1 ms", BillingOf(Consumption), 100.2, 101},
		{"flex minimum", BillingOf(Flex), 999, 1000},
		{"flex 100 ms step", BillingOf(Flex), 1000.1, 1100},
		{"gcp exact step", BillingOf(Gen2), 200, 200},
		{"gcp float noise below a step", BillingOf(Gen2), 299.99999999999994, 300},
		{"gcp float noise above a step", BillingOf(Gen2), 300.00000000000006, 300},
		{"gcp a real microsecond over counts", BillingOf(Gen2), 300.001, 400},
		{"no step", Billing{MinDurationMs: 5}, 7.5, 7.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.billing.BilledDurationMs(tc.ms)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("BilledDurationMs(%v): got %v, want %v", tc.ms, got, tc.want)
			}
		})
	}
}

func TestCPULookups(t *testing.T) {
	tests := []struct {
		mb       int
		gen1GHz  float64 // 0: 1st gen refuses the size
		gen2VCPU float64
	}{
		{128, 0.2, 0.083},
		{256, 0.4, 0.167},
		{512, 0.8, 0.333},
		{1024, 1.4, 0.583},
		{2048, 2.4, 1},
		{4096, 4.8, 2},
		{8192, 4.8, 2},
		{16384, 0, 4},
		{32768, 0, 8},
		{100, 0.2, 0.083},
		{3000, 4.8, 2},
		{12288, 0, 4},
	}
	for _, tc := range tests {
		ghz, err := Gen1GHz(tc.mb)
		switch {
		case tc.gen1GHz == 0 && !errors.Is(err, fault.ErrInvalid):
			t.Errorf("Gen1GHz(%d): got %v, %v, want an invalid-input error", tc.mb, ghz, err)
		case tc.gen1GHz != 0 && (err != nil || ghz != tc.gen1GHz):
			t.Errorf("Gen1GHz(%d): got %v, %v, want %v", tc.mb, ghz, err, tc.gen1GHz)
		}
		if vcpu, err := Gen2VCPU(tc.mb); err != nil || vcpu != tc.gen2VCPU {
			t.Errorf("Gen2VCPU(%d): got %v, %v, want %v", tc.mb, vcpu, err, tc.gen2VCPU)
		}
	}
	for _, mb := range []int{0, -128} {
		if _, err := Gen1GHz(mb); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("Gen1GHz(%d): got %v, want an invalid-input error", mb, err)
		}
		if _, err := Gen2VCPU(mb); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("Gen2VCPU(%d): got %v, want an invalid-input error", mb, err)
		}
	}
	if _, err := Gen2VCPU(32769); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("Gen2VCPU(32769): got %v, want an invalid-input error", err)
	}
}

func TestMemoryRangeOfEveryPlan(t *testing.T) {
	for _, p := range []catalog.Provider{catalog.AWS, catalog.Azure, catalog.GCP} {
		for _, plan := range PlansOf(p) {
			lo, hi := MemoryRangeOf(plan)
			if lo <= 0 || hi < lo {
				t.Errorf("MemoryRangeOf(%s): got %d-%d, want a range", plan, lo, hi)
			}
		}
	}
	if lo, hi := MemoryRangeOf("premium"); lo != 0 || hi != 0 {
		t.Errorf("MemoryRangeOf(premium): got %d-%d, want 0-0", lo, hi)
	}
}
