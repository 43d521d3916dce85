package awsprice

import (
	"bytes"
	"math"
	"testing"

	"github.com/fiso-dev/fiso/shared/pricing"
)

// FuzzParse feeds Parse arbitrary offer files: it must never panic, and a
// file it accepts must give cards whose every tier has a positive, finite
// price and whose tiers follow on from each other.
func FuzzParse(f *testing.F) {
	f.Add(fixture(f, "AWSLambda-us-east-1.json"), "us-east-1")
	f.Add(fixture(f, "AWSLambda-eu-west-2.json"), "eu-west-2")
	f.Add([]byte(`{"formatVersion":"v1.0","offerCode":"AWSLambda","products":{},"terms":{"OnDemand":{}}}`), "us-east-1")
	f.Add([]byte(`{"formatVersion":"v1.0","offerCode":"AWSLambda","products":{"A":{"sku":"A","attributes":{"usagetype":"Request","group":"AWS-Lambda-Requests","regionCode":"us-east-1"}}},`+
		`"terms":{"OnDemand":{"A":{"A.T":{"effectiveDate":"2026-01-01T00:00:00Z","priceDimensions":{"A.T.R":{"beginRange":"0","endRange":"Inf","unit":"Request","pricePerUnit":{"USD":"0.1"}}}}}}}}`), "us-east-1")
	f.Fuzz(func(t *testing.T, body []byte, region string) {
		cards, err := Parse(bytes.NewReader(body), region, "fuzz", fetchedAt)
		if err != nil {
			return
		}
		if len(cards) != 2 {
			t.Fatalf("got %d cards, want 2", len(cards))
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
			if !(tr.USDPerUnit > 0) || math.IsInf(tr.USDPerUnit, 0) {
				t.Fatalf("%s %s tier %d: price %v", c.KeyOf(), p.Meter, i, tr.USDPerUnit)
			}
			if i+1 < len(p.Tiers) && tr.To != p.Tiers[i+1].From {
				t.Fatalf("%s %s tier %d: ends at %v, next starts at %v", c.KeyOf(), p.Meter, i, tr.To, p.Tiers[i+1].From)
			}
		}
		if last := p.Tiers[len(p.Tiers)-1]; last.To != 0 {
			t.Fatalf("%s %s: last tier ends at %v", c.KeyOf(), p.Meter, last.To)
		}
	}
}
