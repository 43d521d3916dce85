package pricing

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompare(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name string
		base Key
		edit func(c *Card)
		want []Change
	}{
		{"nothing changed", awsUSE1x86, func(c *Card) { c.FetchedAt = c.FetchedAt.AddDate(0, 0, 1) }, nil},
		{"60% up is absurd", awsUSE1x86, func(c *Card) { c.Prices[1].Tiers[0].USDPerUnit = 0.00000032 }, []Change{
			{Kind: ChangePrice, Meter: Request, Tier: 0, Old: 0.0000002, New: 0.00000032, Ratio: 1.6, Absurd: true},
		}},
		{"40% up is not", awsUSE1x86, func(c *Card) { c.Prices[1].Tiers[0].USDPerUnit = 0.00000028 }, []Change{
			{Kind: ChangePrice, Meter: Request, Tier: 0, Old: 0.0000002, New: 0.00000028, Ratio: 1.4},
		}},
		{"60% down is absurd", gcpGen2T1, func(c *Card) { c.Prices[0].Tiers[0].USDPerUnit = 0.0000096 }, []Change{
			{Kind: ChangePrice, Meter: VCPUSecond, Tier: 0, Old: 0.000024, New: 0.0000096, Ratio: 0.4, Absurd: true},
		}},
		{"40% down is not", gcpGen2T1, func(c *Card) { c.Prices[0].Tiers[0].USDPerUnit = 0.0000144 }, []Change{
			{Kind: ChangePrice, Meter: VCPUSecond, Tier: 0, Old: 0.000024, New: 0.0000144, Ratio: 0.6},
		}},
		{"one tier of three", awsUSE1arm, func(c *Card) { c.Prices[0].Tiers[2].USDPerUnit = 0.000011 }, []Change{
			{Kind: ChangePrice, Meter: GBSecond, Tier: 2, Old: 0.0000106667, New: 0.000011, Ratio: 0.000011 / 0.0000106667},
		}},
		{"tier boundary moved", awsUSE1x86, func(c *Card) {
			c.Prices[0].Tiers[0].To = 5e9
			c.Prices[0].Tiers[1].From = 5e9
		}, []Change{
			{Kind: ChangeTierTo, Meter: GBSecond, Tier: 0, Old: 6e9, New: 5e9, Ratio: 5.0 / 6},
			{Kind: ChangeTierFrom, Meter: GBSecond, Tier: 1, Old: 6e9, New: 5e9, Ratio: 5.0 / 6},
		}},
		{"tier added", azConsEast, func(c *Card) {
			c.Prices[0].Tiers = []Tier{{To: 1e9, USDPerUnit: 0.000016}, {From: 1e9, USDPerUnit: 0.000015}}
		}, []Change{
			{Kind: ChangeTierTo, Meter: GBSecond, Tier: 0, Old: 0, New: 1e9, Ratio: inf, Absurd: true},
			{Kind: ChangeTierAdded, Meter: GBSecond, Tier: 1, New: 0.000015, Absurd: true},
		}},
		{"meter removed", awsUSE1x86, func(c *Card) { c.Prices = c.Prices[:1] }, []Change{
			{Kind: ChangeMeterRemoved, Meter: Request, Tier: -1, Absurd: true},
		}},
		{"free grant halved", azFlexEast, func(c *Card) { c.FreeGrants[0].Units = 50000 }, []Change{
			{Kind: ChangeFreeGrant, Meter: GBSecond, Tier: -1, Old: 100000, New: 50000, Ratio: 0.5},
		}},
		{"free grant gone", azFlexEast, func(c *Card) { c.FreeGrants = c.FreeGrants[1:] }, []Change{
			{Kind: ChangeFreeGrant, Meter: GBSecond, Tier: -1, Old: 100000, New: 0, Ratio: 0, Absurd: true},
		}},
		{"billing step", gcpGen1T1, func(c *Card) { c.Billing.StepMs = 1 }, []Change{
			{Kind: ChangeBilling, Tier: -1, Field: "step_ms", Old: 100, New: 1, Ratio: 0.01, Absurd: true},
		}},
		{"billing observed memory", azConsEast, func(c *Card) { c.Billing.BillsObservedMemory = false }, []Change{
			{Kind: ChangeBilling, Tier: -1, Field: "bills_observed_memory", Old: 1, New: 0, Absurd: true},
		}},
		{"another card", awsUSE1x86, func(c *Card) { c.Region = "eu-west-1" }, []Change{
			{Kind: ChangeKey, Tier: -1, Field: `region "us-east-1" -> "eu-west-1"`, Absurd: true},
		}},
		{"same list shown as a $0 tier", azConsEast, func(c *Card) {
			c.Prices[0].Tiers = []Tier{{To: 400000}, {From: 400000, USDPerUnit: 0.000016}}
			c.FreeGrants = c.FreeGrants[1:]
		}, nil},
	}
	approx := cmp.Comparer(func(a, b float64) bool {
		return a == b || math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stored := defaultCard(t, tc.base)
			fetched := stored
			fetched.Prices = clonePrices(stored.Prices)
			fetched.FreeGrants = append([]Grant(nil), stored.FreeGrants...)
			tc.edit(&fetched)
			got := Compare(stored, fetched)
			if diff := cmp.Diff(tc.want, got, approx); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if wantAbsurd := AnyAbsurd(tc.want); AnyAbsurd(got) != wantAbsurd {
				t.Errorf("AnyAbsurd: got %v, want %v", AnyAbsurd(got), wantAbsurd)
			}
		})
	}
}

func TestChangeString(t *testing.T) {
	tests := []struct {
		ch   Change
		want string
	}{
		{Change{Kind: ChangePrice, Meter: Request, Tier: 0, Old: 2e-07, New: 3.2e-07, Ratio: 1.6, Absurd: true}, "price request tier 0: 2e-07 -> 3.2e-07 (x1.6) ABSURD"},
		{Change{Kind: ChangeBilling, Tier: -1, Field: "step_ms", Old: 100, New: 80, Ratio: 0.8}, "billing step_ms: 100 -> 80 (x0.8)"},
		{Change{Kind: ChangeKey, Tier: -1, Field: `arch "x86_64" -> "arm64"`, Absurd: true}, `key arch "x86_64" -> "arm64" ABSURD`},
	}
	for _, tc := range tests {
		if got := tc.ch.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
		if !strings.Contains(tc.ch.String(), string(tc.ch.Kind)) {
			t.Errorf("%q does not name its kind", tc.ch.String())
		}
	}
}

// An event carries changes as JSON; a change from 0 must encode.
func TestChangesEncode(t *testing.T) {
	for _, ch := range []Change{
		{Kind: ChangePrice, Meter: GBSecond, Tier: 0, Old: 0.0000166667, New: 0.00002, Ratio: 1.2},
		{Kind: ChangeFreeGrant, Meter: Request, Tier: -1, Old: 0, New: 1e6, Ratio: math.Inf(1), Absurd: true},
	} {
		b, err := json.Marshal(ch)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", ch, err)
		}
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		wantRatio := any(ch.Ratio)
		if math.IsInf(ch.Ratio, 0) {
			wantRatio = nil
		}
		if back["ratio"] != wantRatio || back["kind"] != string(ch.Kind) || back["absurd"] != ch.Absurd {
			t.Errorf("%s encodes as %s", ch, b)
		}
	}
}
