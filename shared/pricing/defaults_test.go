package pricing

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/google/go-cmp/cmp"
)

func TestDefaultsCoverTheBuiltInKeys(t *testing.T) {
	var want []Key
	for _, r := range []string{"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"} {
		for _, a := range []catalog.Arch{catalog.X86_64, catalog.ARM64} {
			want = append(want, key(catalog.AWS, Lambda, r, a))
		}
	}
	for _, p := range []Plan{Consumption, Flex} {
		for _, r := range []string{"eastus", "westeurope", "westus2"} {
			want = append(want, key(catalog.Azure, p, r, catalog.X86_64))
		}
	}
	for _, p := range []Plan{Gen2, Gen1} {
		for _, r := range []string{"us-central1", "europe-west1", "asia-east2"} {
			want = append(want, key(catalog.GCP, p, r, catalog.X86_64))
		}
	}
	var got []Key
	for _, c := range Defaults() {
		got = append(got, c.KeyOf())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

func TestDefaultPrices(t *testing.T) {
	// The list prices as published, per key; every region of a provider and
	// plan in one price band shares them.
	tiers := func(bounds []float64, prices ...float64) []Tier {
		out := make([]Tier, len(prices))
		for i, p := range prices {
			out[i] = Tier{From: bounds[i], To: bounds[i+1], USDPerUnit: p}
		}
		return out
	}
	x86 := tiers([]float64{0, 6e9, 15e9, 0}, 0.0000166667, 0.000015, 0.0000133334)
	arm := tiers([]float64{0, 7.5e9, 18.75e9, 0}, 0.0000133334, 0.0000120001, 0.0000106667)
	flat := func(p float64) []Tier { return []Tier{{USDPerUnit: p}} }
	type want struct {
		tiers  map[Meter][]Tier
		grants map[Meter]float64
		source string
	}
	lambda := func(gb []Tier) want {
		return want{
			tiers:  map[Meter][]Tier{GBSecond: gb, Request: flat(0.0000002)},
			grants: map[Meter]float64{GBSecond: 400000, Request: 1e6},
			source: "built-in: https://aws.amazon.com/lambda/pricing/, list prices as of 2026-09-28",
		}
	}
	azure := "built-in: https://azure.microsoft.com/pricing/details/functions/, list prices as of 2026-08-31"
	run := "built-in: https://cloud.google.com/run/pricing, list prices as of 2026-08-11"
	gen1 := "built-in: https://cloud.google.com/functions/pricing-1stgen, list prices as of 2026-08-11"
	byPlan := map[Plan]func(region string, arch catalog.Arch) want{
		Lambda: func(_ string, a catalog.Arch) want {
			if a == catalog.ARM64 {
				return lambda(arm)
			}
			return lambda(x86)
		},
		Consumption: func(string, catalog.Arch) want {
			return want{map[Meter][]Tier{GBSecond: flat(0.000016), Request: flat(0.0000002)}, map[Meter]float64{GBSecond: 400000, Request: 1e6}, azure}
		},
		Flex: func(string, catalog.Arch) want {
			return want{map[Meter][]Tier{GBSecond: flat(0.000026), Request: flat(0.0000004)}, map[Meter]float64{GBSecond: 100000, Request: 250000}, azure}
		},
		Gen2: func(r string, _ catalog.Arch) want {
			if r == "asia-east2" {
				return want{
					map[Meter][]Tier{VCPUSecond: flat(0.0000336), GiBSecond: flat(0.0000035), Request: flat(0.0000004)},
					// The catalog's free units, as for Tier 1 (see the package doc).
					map[Meter]float64{VCPUSecond: 180000, GiBSecond: 360000, Request: 2e6}, run,
				}
			}
			return want{
				map[Meter][]Tier{VCPUSecond: flat(0.000024), GiBSecond: flat(0.0000025), Request: flat(0.0000004)},
				map[Meter]float64{VCPUSecond: 180000, GiBSecond: 360000, Request: 2e6}, run,
			}
		},
		Gen1: func(r string, _ catalog.Arch) want {
			if r == "asia-east2" {
				return want{
					map[Meter][]Tier{GHzSecond: flat(0.000014), GBSecond: flat(0.0000035), Request: flat(0.0000004)},
					map[Meter]float64{GHzSecond: 200000, GBSecond: 400000, Request: 2e6}, gen1,
				}
			}
			return want{
				map[Meter][]Tier{GHzSecond: flat(0.00001), GBSecond: flat(0.0000025), Request: flat(0.0000004)},
				map[Meter]float64{GHzSecond: 200000, GBSecond: 400000, Request: 2e6}, gen1,
			}
		},
	}
	asOf := regexp.MustCompile(`list prices as of (\d{4}-\d{2}-\d{2})$`)
	ignoreQuote := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Quoted" }, cmp.Ignore())
	for _, c := range Defaults() {
		t.Run(c.KeyOf().String(), func(t *testing.T) {
			w := byPlan[c.Plan](c.Region, c.Arch)
			got := map[Meter][]Tier{}
			for _, p := range c.Prices {
				got[p.Meter] = p.Tiers
			}
			if diff := cmp.Diff(w.tiers, got, ignoreQuote); diff != "" {
				t.Errorf("tiers (-want +got):\n%s", diff)
			}
			grants := map[Meter]float64{}
			for _, g := range c.FreeGrants {
				grants[g.Meter] = g.Units
			}
			if diff := cmp.Diff(w.grants, grants, cmp.Comparer(func(a, b float64) bool { return closeRel(a, b) })); diff != "" {
				t.Errorf("grants (-want +got):\n%s", diff)
			}
			if c.Source != w.source {
				t.Errorf("source: got %q, want %q", c.Source, w.source)
			}
			m := asOf.FindStringSubmatch(c.Source)
			if m == nil {
				t.Fatalf("source %q names no date", c.Source)
			}
			if d := c.EffectiveDate.UTC().Format(time.DateOnly); d != m[1] || !c.FetchedAt.Equal(c.EffectiveDate) {
				t.Errorf("effective %s, fetched %s: want both the source's date %s", c.EffectiveDate, c.FetchedAt, m[1])
			}
			if c.Billing != BillingOf(c.Plan) || c.BillingOverride != "" {
				t.Errorf("billing: got %+v (override %q), want the plan's %+v", c.Billing, c.BillingOverride, BillingOf(c.Plan))
			}
			for _, p := range c.Prices {
				for i, tr := range p.Tiers {
					if tr.Quoted == "" {
						t.Errorf("%s tier %d quotes nothing", p.Meter, i)
					}
				}
			}
		})
	}
}

func TestDefaultsAreFresh(t *testing.T) {
	first := Defaults()
	first[0].Prices[0].Tiers[0].USDPerUnit = 1
	first[0].FreeGrants[0].Units = 0
	second := Defaults()
	if second[0].Prices[0].Tiers[0].USDPerUnit == 1 || second[0].FreeGrants[0].Units == 0 {
		t.Error("changing one call's cards changed the next call's")
	}
}

func TestDefaultsRoundTripJSON(t *testing.T) {
	for _, c := range Defaults() {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Card
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, back); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.KeyOf(), diff)
		}
		if err := back.Validate(); err != nil {
			t.Errorf("%s after a JSON round trip: %v", c.KeyOf(), err)
		}
	}
}

func TestParseDefaultsRejectsBadJSON(t *testing.T) {
	if _, err := parseDefaults(`{"cards": [`); err == nil {
		t.Error("got no error for truncated JSON")
	}
}

func TestFind(t *testing.T) {
	cards := Defaults()
	tests := []struct {
		name   string
		k      Key
		wantOK bool
	}{
		{"present", gcpGen2T2, true},
		{"other arch", key(catalog.Azure, Flex, "eastus", catalog.ARM64), false},
		{"other region", key(catalog.AWS, Lambda, "sa-east-1", catalog.X86_64), false},
		{"zero key", Key{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := Find(cards, tc.k)
			if ok != tc.wantOK {
				t.Fatalf("got found=%v, want %v", ok, tc.wantOK)
			}
			if ok && c.KeyOf() != tc.k {
				t.Errorf("got card %s, want %s", c.KeyOf(), tc.k)
			}
		})
	}
	if _, ok := Find(nil, gcpGen2T1); ok {
		t.Error("found a card in no cards")
	}
}
