package pricing

import (
	"errors"
	"math"
	"testing"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/google/go-cmp/cmp"
)

// zeroTierCard is an Azure-list-shaped Consumption card: the free allowance
// shown as a leading $0 tier.
func zeroTierCard(t *testing.T, withGrants bool) Card {
	t.Helper()
	c := defaultCard(t, azConsEast)
	c.Prices = []Price{
		{Meter: GBSecond, Tiers: []Tier{{From: 0, To: 400000, USDPerUnit: 0}, {From: 400000, USDPerUnit: 0.000016}}},
		{Meter: Request, Tiers: []Tier{{From: 0, To: 1e6, USDPerUnit: 0}, {From: 1e6, USDPerUnit: 0.0000002}}},
	}
	if !withGrants {
		c.FreeGrants = nil
	}
	c.Seal()
	return c
}

// strippedZeroTierCard is the same list with the $0 rows dropped and the
// allowance stated as grants, the paid tiers left where the list put them.
func strippedZeroTierCard(t *testing.T) Card {
	t.Helper()
	c := defaultCard(t, azConsEast)
	c.Prices = []Price{
		{Meter: GBSecond, Tiers: []Tier{{From: 400000, USDPerUnit: 0.000016}}},
		{Meter: Request, Tiers: []Tier{{From: 1e6, USDPerUnit: 0.0000002}}},
	}
	c.Seal()
	return c
}

func TestMonthly(t *testing.T) {
	tests := []struct {
		name      string
		card      Card
		q         map[Meter]float64
		want      map[Meter]BillLine
		wantTotal float64
	}{
		{
			name: "aws x86 crosses every tier",
			card: defaultCard(t, awsUSE1x86),
			q:    map[Meter]float64{GBSecond: 20e9},
			// 5,999,600,000 * 0.0000166667 + 9e9 * 0.000015 + 5e9 * 0.0000133334
			want:      map[Meter]BillLine{GBSecond: {Meter: GBSecond, Quantity: 20e9, FreeUnits: 400000, BillableUnits: 20e9 - 400000, USD: 301660.53332}},
			wantTotal: 301660.53332,
		},
		{
			name: "aws x86 into the second tier",
			card: defaultCard(t, awsUSE1x86),
			q:    map[Meter]float64{GBSecond: 7e9, Request: 5e6},
			// 5,999,600,000 * 0.0000166667 + 1e9 * 0.000015; 4M * 0.0000002
			want: map[Meter]BillLine{
				GBSecond: {Meter: GBSecond, Quantity: 7e9, FreeUnits: 400000, BillableUnits: 7e9 - 400000, USD: 114993.53332},
				Request:  {Meter: Request, Quantity: 5e6, FreeUnits: 1e6, BillableUnits: 4e6, USD: 0.8},
			},
			wantTotal: 114994.33332,
		},
		{
			name: "aws arm crosses every tier",
			card: defaultCard(t, awsUSE1arm),
			q:    map[Meter]float64{GBSecond: 20e9},
			// 7,499,600,000 * 0.0000133334 + 11.25e9 * 0.0000120001 + 1.25e9 * 0.0000106667
			want:      map[Meter]BillLine{GBSecond: {Meter: GBSecond, Quantity: 20e9, FreeUnits: 400000, BillableUnits: 20e9 - 400000, USD: 248329.66664}},
			wantTotal: 248329.66664,
		},
		{
			name: "free grant larger than usage costs nothing",
			card: defaultCard(t, gcpGen2T1),
			q:    map[Meter]float64{VCPUSecond: 100000, GiBSecond: 200000, Request: 1.5e6},
			want: map[Meter]BillLine{
				VCPUSecond: {Meter: VCPUSecond, Quantity: 100000, FreeUnits: 100000},
				GiBSecond:  {Meter: GiBSecond, Quantity: 200000, FreeUnits: 200000},
				Request:    {Meter: Request, Quantity: 1.5e6, FreeUnits: 1.5e6},
			},
		},
		{
			name: "usage exactly the grant costs nothing",
			card: defaultCard(t, azFlexEast),
			q:    map[Meter]float64{GBSecond: 100000, Request: 250000},
			want: map[Meter]BillLine{
				GBSecond: {Meter: GBSecond, Quantity: 100000, FreeUnits: 100000},
				Request:  {Meter: Request, Quantity: 250000, FreeUnits: 250000},
			},
		},
		{
			name: "nothing used",
			card: defaultCard(t, awsUSE1x86),
			q:    map[Meter]float64{GBSecond: 0, Request: 0},
			want: map[Meter]BillLine{GBSecond: {Meter: GBSecond}, Request: {Meter: Request}},
		},
		{
			name: "no meters asked",
			card: defaultCard(t, awsUSE1x86),
			q:    nil,
			want: map[Meter]BillLine{},
		},
		{
			name: "gcp tier 2 grant is the catalog's free units",
			card: defaultCard(t, gcpGen2T2),
			// 200,000 vCPU-s used: 180,000 free, the rest at $0.0000336.
			q:         map[Meter]float64{VCPUSecond: 200000},
			want:      map[Meter]BillLine{VCPUSecond: {Meter: VCPUSecond, Quantity: 200000, FreeUnits: 180000, BillableUnits: 20000, USD: 20000 * 0.0000336}},
			wantTotal: 20000 * 0.0000336,
		},
		{
			name: "zero tier and equal grant are not subtracted twice",
			card: zeroTierCard(t, true),
			q:    map[Meter]float64{GBSecond: 1e6, Request: 3e6},
			want: map[Meter]BillLine{
				GBSecond: {Meter: GBSecond, Quantity: 1e6, FreeUnits: 400000, BillableUnits: 600000, USD: 9.6},
				Request:  {Meter: Request, Quantity: 3e6, FreeUnits: 1e6, BillableUnits: 2e6, USD: 0.4},
			},
			wantTotal: 10,
		},
		{
			name: "zero tier alone is the free allowance",
			card: zeroTierCard(t, false),
			q:    map[Meter]float64{GBSecond: 1e6, Request: 3e6},
			want: map[Meter]BillLine{
				GBSecond: {Meter: GBSecond, Quantity: 1e6, FreeUnits: 400000, BillableUnits: 600000, USD: 9.6},
				Request:  {Meter: Request, Quantity: 3e6, FreeUnits: 1e6, BillableUnits: 2e6, USD: 0.4},
			},
			wantTotal: 10,
		},
		{
			name: "paid tier starting at the granted allowance",
			card: strippedZeroTierCard(t),
			q:    map[Meter]float64{GBSecond: 1e6, Request: 3e6},
			want: map[Meter]BillLine{
				GBSecond: {Meter: GBSecond, Quantity: 1e6, FreeUnits: 400000, BillableUnits: 600000, USD: 9.6},
				Request:  {Meter: Request, Quantity: 3e6, FreeUnits: 1e6, BillableUnits: 2e6, USD: 0.4},
			},
			wantTotal: 10,
		},
		{
			name: "canonical form bills the same",
			card: zeroTierCard(t, false).Canonical(),
			q:    map[Meter]float64{GBSecond: 1e6, Request: 3e6},
			want: map[Meter]BillLine{
				GBSecond: {Meter: GBSecond, Quantity: 1e6, FreeUnits: 400000, BillableUnits: 600000, USD: 9.6},
				Request:  {Meter: Request, Quantity: 3e6, FreeUnits: 1e6, BillableUnits: 2e6, USD: 0.4},
			},
			wantTotal: 10,
		},
	}
	approx := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < billTolerance })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.card.Monthly(tc.q)
			if err != nil {
				t.Fatalf("Monthly(%v): %v", tc.q, err)
			}
			if diff := cmp.Diff(tc.want, got.Lines, approx); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if !closeAbs(got.TotalUSD, tc.wantTotal) {
				t.Errorf("total: got $%.9f, want $%.9f", got.TotalUSD, tc.wantTotal)
			}
			if got.Key != tc.card.KeyOf() || got.CardVersion != tc.card.Version {
				t.Errorf("bill names card %s %q, want %s %q", got.Key, got.CardVersion, tc.card.KeyOf(), tc.card.Version)
			}
		})
	}
}

func TestMonthlyErrors(t *testing.T) {
	gap := defaultCard(t, awsUSE1x86)
	gap.FreeGrants = nil
	gap.Prices = []Price{{Meter: GBSecond, Tiers: []Tier{{From: 100, USDPerUnit: 1e-5}}}}
	tests := []struct {
		name    string
		card    Card
		q       map[Meter]float64
		wantErr error
	}{
		{"negative quantity", defaultCard(t, awsUSE1x86), map[Meter]float64{GBSecond: -1}, fault.ErrInvalid},
		{"NaN quantity", defaultCard(t, awsUSE1x86), map[Meter]float64{Request: math.NaN()}, fault.ErrInvalid},
		{"meter the card does not price", defaultCard(t, awsUSE1x86), map[Meter]float64{VCPUSecond: 1}, ErrNoPrice},
		{"usage below the first tier", gap, map[Meter]float64{GBSecond: 50}, ErrNoPrice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.card.Monthly(tc.q); !errors.Is(err, tc.wantErr) {
				t.Errorf("got error %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestMonthlyMatchesCostAboveTheGrants(t *testing.T) {
	// With no grants and usage inside the first tier, a month of n
	// invocations costs n times one invocation.
	for _, c := range Defaults() {
		t.Run(c.KeyOf().String(), func(t *testing.T) {
			c = noGrants(c)
			lo, _ := MemoryRangeOf(c.Plan)
			u := Usage{DurationMs: 1234, MemoryMB: max(lo, 1024)}
			one, err := c.Cost(u)
			if err != nil {
				t.Fatal(err)
			}
			bill, err := c.Monthly(times(t, c, u, 1000))
			if err != nil {
				t.Fatal(err)
			}
			if want := 1000 * one.TotalUSD; math.Abs(bill.TotalUSD-want) > 1e-9*want {
				t.Errorf("month: got $%v, want 1000 * $%v = $%v", bill.TotalUSD, one.TotalUSD, want)
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	c := zeroTierCard(t, false)
	c.FreeGrants = []Grant{{Meter: Request, Units: 2e6}}
	c.Seal()
	got := c.Canonical()
	wantPrices := []Price{
		{Meter: GBSecond, Tiers: []Tier{{From: 0, USDPerUnit: 0.000016}}},
		{Meter: Request, Tiers: []Tier{{From: 0, USDPerUnit: 0.0000002}}},
	}
	if diff := cmp.Diff(wantPrices, got.Prices); diff != "" {
		t.Errorf("prices (-want +got):\n%s", diff)
	}
	// The larger of grant and $0 tier wins, meter by meter.
	wantGrants := []Grant{{Meter: Request, Units: 2e6}, {Meter: GBSecond, Units: 400000}}
	if diff := cmp.Diff(wantGrants, got.FreeGrants); diff != "" {
		t.Errorf("grants (-want +got):\n%s", diff)
	}
	if c.Prices[0].Tiers[0].USDPerUnit != 0 || c.FreeGrants[0].Units != 2e6 || len(c.FreeGrants) != 1 {
		t.Errorf("Canonical changed its receiver: %+v", c)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("canonical card: %v", err)
	}
	aws := defaultCard(t, awsUSE1x86)
	if diff := cmp.Diff(aws, aws.Canonical()); diff != "" {
		t.Errorf("a card without $0 tiers changed (-want +got):\n%s", diff)
	}
}
