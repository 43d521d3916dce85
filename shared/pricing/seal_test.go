package pricing

import (
	"testing"
	"time"
)

func TestSeal(t *testing.T) {
	base := func(t *testing.T) Card {
		c := defaultCard(t, awsUSE1x86)
		c.Prices = clonePrices(c.Prices)
		c.FreeGrants = append([]Grant(nil), c.FreeGrants...)
		return c
	}
	tests := []struct {
		name     string
		edit     func(c *Card)
		wantSame bool
	}{
		{"unchanged pull", func(*Card) {}, true},
		{"new fetch time", func(c *Card) { c.FetchedAt = c.FetchedAt.Add(24 * time.Hour) }, true},
		{"new source", func(c *Card) {
			c.Source = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AWSLambda/current/us-east-1/index.json"
		}, true},
		{"new quote text and source ID", func(c *Card) {
			c.Prices[0].Tiers[0].Quoted = "0.0000166667 USD per Lambda-GB-Second"
			c.Prices[0].SourceID = "SKU.RATE"
		}, true},
		{"prices and grants in another order", func(c *Card) {
			c.Prices[0], c.Prices[1] = c.Prices[1], c.Prices[0]
			c.FreeGrants[0], c.FreeGrants[1] = c.FreeGrants[1], c.FreeGrants[0]
		}, true},
		{"effective date in another zone", func(c *Card) { c.EffectiveDate = c.EffectiveDate.In(time.FixedZone("JST", 9*3600)) }, true},
		{"old version set", func(c *Card) { c.Version = "stale" }, true},
		{"price change", func(c *Card) { c.Prices[0].Tiers[0].USDPerUnit = 0.0000166668 }, false},
		{"tier boundary change", func(c *Card) {
			c.Prices[0].Tiers[0].To = 5e9
			c.Prices[0].Tiers[1].From = 5e9
		}, false},
		{"grant change", func(c *Card) { c.FreeGrants[0].Units = 500000 }, false},
		{"billing change", func(c *Card) { c.Billing.StepMs = 100 }, false},
		{"effective date change", func(c *Card) { c.EffectiveDate = c.EffectiveDate.AddDate(0, 1, 0) }, false},
		{"region change", func(c *Card) { c.Region = "us-east-2" }, false},
		{"arch change", func(c *Card) { c.Arch = "arm64" }, false},
	}
	want := base(t)
	want.Seal()
	if len(want.Version) != 16 {
		t.Fatalf("version %q: got %d hex digits, want 16", want.Version, len(want.Version))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base(t)
			tc.edit(&c)
			c.Seal()
			if same := c.Version == want.Version; same != tc.wantSame {
				t.Errorf("version %q against %q: got same=%v, want same=%v", c.Version, want.Version, same, tc.wantSame)
			}
			if c.Version != c.ContentVersion() {
				t.Errorf("Seal set %q, ContentVersion says %q", c.Version, c.ContentVersion())
			}
		})
	}
}

func TestSealZeroTierShapeEqualsGrantShape(t *testing.T) {
	// An Azure list read as a leading $0 tier is the same card as the
	// built-in one with the allowance as a grant.
	want := defaultCard(t, azConsEast).Version
	if got := zeroTierCard(t, true).Version; got != want {
		t.Errorf("$0-tier shape version %q, grant shape %q: want equal", got, want)
	}
	if got := strippedZeroTierCard(t).Version; got != want {
		t.Errorf("stripped $0-tier shape version %q, grant shape %q: want equal", got, want)
	}
}

func TestDefaultVersionsAreStableAndDistinct(t *testing.T) {
	first, second := Defaults(), Defaults()
	seen := map[string]Key{}
	for i, c := range first {
		if c.Version == "" || c.Version != second[i].Version {
			t.Errorf("%s: got versions %q and %q from two calls, want one non-empty version", c.KeyOf(), c.Version, second[i].Version)
		}
		if k, dup := seen[c.Version]; dup {
			t.Errorf("%s and %s share version %q", k, c.KeyOf(), c.Version)
		}
		seen[c.Version] = c.KeyOf()
	}
}
