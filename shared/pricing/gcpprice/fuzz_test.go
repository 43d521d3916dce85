package gcpprice

import (
	"bytes"
	"testing"

	"github.com/fiso-dev/fiso/shared/pricing/pricelist/pricelisttest"
)

// FuzzParse feeds Parse arbitrary saved pages: it must never panic, and
// pages it accepts must give cards whose every tier has a positive, finite
// price and whose tiers follow on from each other.
func FuzzParse(f *testing.F) {
	var all [][]byte
	for _, name := range allPages {
		page := pricelisttest.Fixture(f, name)
		f.Add(page, "us-central1")
		all = append(all, page)
	}
	f.Add(append(append([]byte("["), bytes.Join(all, []byte(","))...), ']'), "southamerica-east1")
	f.Add([]byte(`{"skus":[{"name":"services/X/skus/A","description":"Requests","category":{"serviceDisplayName":"Cloud Run","usageType":"OnDemand"},`+
		`"serviceRegions":["global"],"pricingInfo":[{"effectiveTime":"2026-01-01T00:00:00Z","pricingExpression":{"usageUnit":"count","baseUnit":"count",`+
		`"baseUnitConversionFactor":1,"tieredRates":[{"unitPrice":{"currencyCode":"USD","units":"1","nanos":5}}]}}]}]}`), "us-east1")
	pricelisttest.Fuzz(f, Parse, fetchedAt, 1, 2, pricelisttest.CheckGrants)
}
