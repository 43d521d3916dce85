package awsprice

import (
	"testing"

	"github.com/fiso-dev/fiso/shared/pricing/pricelist/pricelisttest"
)

// FuzzParse feeds Parse arbitrary offer files: it must never panic, and a
// file it accepts must give cards whose every tier has a positive, finite
// price and whose tiers follow on from each other.
func FuzzParse(f *testing.F) {
	f.Add(pricelisttest.Fixture(f, "AWSLambda-us-east-1.json"), "us-east-1")
	f.Add(pricelisttest.Fixture(f, "AWSLambda-eu-west-2.json"), "eu-west-2")
	f.Add([]byte(`{"formatVersion":"v1.0","offerCode":"AWSLambda","products":{},"terms":{"OnDemand":{}}}`), "us-east-1")
	f.Add([]byte(`{"formatVersion":"v1.0","offerCode":"AWSLambda","products":{"A":{"sku":"A","attributes":{"usagetype":"Request","group":"AWS-Lambda-Requests","regionCode":"us-east-1"}}},`+
		`"terms":{"OnDemand":{"A":{"A.T":{"effectiveDate":"2026-01-01T00:00:00Z","priceDimensions":{"A.T.R":{"beginRange":"0","endRange":"Inf","unit":"Request","pricePerUnit":{"USD":"0.1"}}}}}}}}`), "us-east-1")
	pricelisttest.Fuzz(f, Parse, fetchedAt, 2, 2)
}
