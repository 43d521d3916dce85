package gcpprice

import (
	"bytes"
	"math"
	"testing"

	"github.com/fiso-dev/fiso/shared/pricing"
)

// FuzzParse feeds Parse arbitrary saved pages: it must never panic, and
// pages it accepts must give cards whose every tier has a positive, finite
// price and whose tiers follow on from each other.
func FuzzParse(f *testing.F) {
	var all [][]byte
	for _, name := range allPages {
		page := fixture(f, name)
		f.Add(page, "us-central1")
		all = append(all, page)
	}
	f.Add(append(append([]byte("["), bytes.Join(all, []byte(","))...), ']'), "southamerica-east1")
	f.Add([]byte(`{"skus":[{"name":"services/X/skus/A","description":"Requests","category":{"serviceDisplayName":"Cloud Run","usageType":"OnDemand"},`+
		`"serviceRegions":["global"],"pricingInfo":[{"effectiveTime":"2026-01-01T00:00:00Z","pricingExpression":{"usageUnit":"count","baseUnit":"count",`+
		`"baseUnitConversionFactor":1,"tieredRates":[{"unitPrice":{"currencyCode":"USD","units":"1","nanos":5}}]}}]}]}`), "us-east1")
	f.Fuzz(func(t *testing.T, body []byte, region string) {
		cards, err := Parse(bytes.NewReader(body), region, "fuzz", fetchedAt)
		if err != nil {
			return
		}
		if len(cards) == 0 || len(cards) > 2 {
			t.Fatalf("got %d cards, want 1 or 2", len(cards))
		}
		for _, c := range cards {
			checkCard(t, c)
		}
	})
}

func checkCard(t *testing.T, c pricing.Card) {
	t.Helper()
	if len(c.Prices) != len(pricing.MetersOf(c.Plan)) {
		t.Fatalf("%s: %d prices for %d meters", c.KeyOf(), len(c.Prices), len(pricing.MetersOf(c.Plan)))
	}
	for _, p := range c.Prices {
		if len(p.Tiers) == 0 {
			t.Fatalf("%s %s: no tiers", c.KeyOf(), p.Meter)
		}
		for i, tr := range p.Tiers {
			if !(tr.USDPerUnit > 0) || math.IsInf(tr.USDPerUnit, 0) || math.IsInf(tr.From, 0) || math.IsNaN(tr.From) {
				t.Fatalf("%s %s tier %d: %+v", c.KeyOf(), p.Meter, i, tr)
			}
			if i+1 < len(p.Tiers) && tr.To != p.Tiers[i+1].From {
				t.Fatalf("%s %s tier %d: ends at %v, next starts at %v", c.KeyOf(), p.Meter, i, tr.To, p.Tiers[i+1].From)
			}
		}
		if last := p.Tiers[len(p.Tiers)-1]; last.To != 0 {
			t.Fatalf("%s %s: last tier ends at %v", c.KeyOf(), p.Meter, last.To)
		}
	}
	for _, g := range c.FreeGrants {
		if !(g.Units > 0) || math.IsInf(g.Units, 0) {
			t.Fatalf("%s: grant %+v", c.KeyOf(), g)
		}
	}
}
