package pricing

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

func TestValidateDefaults(t *testing.T) {
	cards := Defaults()
	if len(cards) == 0 {
		t.Fatal("got no built-in cards")
	}
	for _, c := range cards {
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", c.KeyOf(), err)
		}
	}
}

func TestValidateReportsEachProblem(t *testing.T) {
	// Each case breaks a valid card one way and names the violation it
	// must report: its field and a piece of its reason.
	tests := []struct {
		name       string
		base       Key
		edit       func(c *Card)
		wantField  string
		wantReason string
	}{
		{"unknown provider", awsUSE1x86, func(c *Card) { c.Provider = "ibm" }, "provider", "not one of"},
		{"plan of another provider", awsUSE1x86, func(c *Card) { c.Plan = Gen2 }, "plan", "not a plan of aws"},
		{"empty region", azConsEast, func(c *Card) { c.Region = " " }, "region", "must be set"},
		{"unknown arch", awsUSE1x86, func(c *Card) { c.Arch = "riscv" }, "arch", "not x86_64 or arm64"},
		{"currency not USD", gcpGen2T1, func(c *Card) { c.Currency = "EUR" }, "currency", "not USD"},
		{"meter missing", awsUSE1x86, func(c *Card) { c.Prices = c.Prices[:1] }, "prices", "meter request is missing"},
		{"meter twice", azFlexEast, func(c *Card) { c.Prices = append(c.Prices, c.Prices[0]) }, "prices", "gb_second is priced 2 times"},
		{"meter of another plan", gcpGen1T1, func(c *Card) {
			c.Prices = append(c.Prices, Price{Meter: VCPUSecond, Tiers: []Tier{{USDPerUnit: 1e-5}}})
		}, "prices[3].meter", "not billed by plan"},
		{"no tiers", azConsEast, func(c *Card) { c.Prices[0].Tiers = nil }, "prices[0].tiers", "gb_second has no tiers"},
		{"first tier above 0 beyond the grant", azConsEast, func(c *Card) { c.Prices[0].Tiers[0].From = 500000 }, "prices[0].tiers[0].from", "free grant of at least 500000"},
		{"first tier above 0 without a grant", awsUSE1x86, func(c *Card) {
			c.Prices[1].Tiers[0].From = 10
			c.FreeGrants = c.FreeGrants[:1]
		}, "prices[1].tiers[0].from", "want 0"},
		{"tiers not contiguous", awsUSE1x86, func(c *Card) { c.Prices[0].Tiers[1].From = 7e9 }, "prices[0].tiers[1].from", "sorted and contiguous"},
		{"tiers out of order", awsUSE1x86, func(c *Card) {
			c.Prices[0].Tiers[0], c.Prices[0].Tiers[1] = c.Prices[0].Tiers[1], c.Prices[0].Tiers[0]
		}, "prices[0].tiers[0].from", "want 0"},
		{"last tier bounded", awsUSE1x86, func(c *Card) { c.Prices[0].Tiers[2].To = 20e9 }, "prices[0].tiers[2].to", "want 0 (unbounded)"},
		{"inner tier unbounded", awsUSE1arm, func(c *Card) { c.Prices[0].Tiers[1].To = 0 }, "prices[0].tiers[1].to", "not after its start"},
		{"negative price", gcpGen2T1, func(c *Card) { c.Prices[1].Tiers[0].USDPerUnit = -0.0000025 }, "prices[1].tiers[0].usd_per_unit", "negative"},
		{"NaN price", gcpGen2T1, func(c *Card) { c.Prices[2].Tiers[0].USDPerUnit = math.NaN() }, "prices[2].tiers[0]", "finite"},
		{"zero price as the only tier", azConsEast, func(c *Card) { c.Prices[1].Tiers[0].USDPerUnit = 0 }, "prices[1].tiers[0].usd_per_unit", "request: a $0 price"},
		{"first paid tier zeroed", awsUSE1x86, func(c *Card) { c.Prices[0].Tiers[0].USDPerUnit = 0 }, "prices[0].tiers[0].usd_per_unit", "must be the free allowance of 400000"},
		{"zero price after a paid tier", awsUSE1x86, func(c *Card) { c.Prices[0].Tiers[2].USDPerUnit = 0 }, "prices[0].tiers[2].usd_per_unit", "gb_second: a $0 price"},
		{"two leading zero tiers", azConsEast, func(c *Card) {
			c.Prices[0].Tiers = []Tier{{To: 100}, {From: 100, To: 400000}, {From: 400000, USDPerUnit: 0.000016}}
		}, "prices[0].tiers[1].usd_per_unit", "gb_second: a $0 price"},
		{"grant of another plan's meter", awsUSE1x86, func(c *Card) {
			c.FreeGrants = append(c.FreeGrants, Grant{Meter: GHzSecond, Units: 1})
		}, "free_grants[2].meter", "not billed by plan"},
		{"grant twice", awsUSE1x86, func(c *Card) {
			c.FreeGrants = append(c.FreeGrants, c.FreeGrants[0])
		}, "free_grants[2].meter", "more than one grant"},
		{"negative grant", gcpGen1T1, func(c *Card) { c.FreeGrants[0].Units = -1 }, "free_grants[0].units", "non-negative"},
		{"billing silently not the plan's", azFlexEast, func(c *Card) { c.Billing.StepMs = 1 }, "billing", "set billing_override"},
		{"billing unusable even when overridden", azFlexEast, func(c *Card) {
			c.Billing.StepMs = 0
			c.BillingOverride = "test"
		}, "billing", "step_ms 0 > 0"},
		{"no effective date", gcpGen2T2, func(c *Card) { c.EffectiveDate = time.Time{} }, "effective_date", "must be set"},
		{"edited after sealing", awsUSE1arm, func(c *Card) { c.Prices[1].Tiers[0].USDPerUnit = 0.0000003 }, "version", "seal the card"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultCard(t, tc.base)
			c.Prices = clonePrices(c.Prices)
			c.FreeGrants = append([]Grant(nil), c.FreeGrants...)
			tc.edit(&c)
			err := c.Validate()
			if !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("got %v, want an invalid-input error", err)
			}
			var fe *fault.Error
			if !errors.As(err, &fe) {
				t.Fatalf("got %T, want *fault.Error", err)
			}
			for _, v := range fe.Violations {
				if v.Field == tc.wantField && strings.Contains(v.Reason, tc.wantReason) {
					return
				}
			}
			t.Errorf("got violations %v, want one on %q saying %q", fe.Violations, tc.wantField, tc.wantReason)
		})
	}
}

func TestValidateAcceptsDeliberateCards(t *testing.T) {
	tests := []struct {
		name string
		base Key
		edit func(c *Card)
	}{
		{"leading free-allowance tier", azConsEast, func(c *Card) {
			c.Prices[0].Tiers = []Tier{{From: 0, To: 400000}, {From: 400000, USDPerUnit: 0.000016}}
		}},
		{"billing overridden with a reason", azFlexEast, func(c *Card) {
			c.Billing.StepMs = 1
			c.BillingOverride = "Flex bills per ms from 2027-01-01"
		}},
		{"no free grants", awsUSE1x86, func(c *Card) { c.FreeGrants = nil }},
		{"first paid tier at the granted allowance", azFlexEast, func(c *Card) {
			c.Prices[0].Tiers[0].From = 100000
			c.Prices[1].Tiers[0].From = 250000
		}},
		{"unsealed", gcpGen1T2, func(c *Card) { c.Version = "" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultCard(t, tc.base)
			c.Prices = clonePrices(c.Prices)
			tc.edit(&c)
			if c.Version != "" {
				c.Seal()
			}
			if err := c.Validate(); err != nil {
				t.Errorf("got %v, want no error", err)
			}
		})
	}
}

func TestValidateReportsEverythingAtOnce(t *testing.T) {
	c := Card{Provider: catalog.GCP, Plan: Lambda, Currency: "JPY", Arch: catalog.X86_64}
	err := c.Validate()
	var fe *fault.Error
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want *fault.Error", err)
	}
	fields := map[string]bool{}
	for _, v := range fe.Violations {
		fields[v.Field] = true
	}
	for _, f := range []string{"plan", "region", "currency", "prices", "effective_date"} {
		if !fields[f] {
			t.Errorf("got violations %v, want one on %q", fe.Violations, f)
		}
	}
}

func clonePrices(ps []Price) []Price {
	out := make([]Price, len(ps))
	for i, p := range ps {
		p.Tiers = append([]Tier(nil), p.Tiers...)
		out[i] = p
	}
	return out
}
