package azureprice

import (
	"bytes"
	"testing"

	"github.com/fiso-dev/fiso/shared/pricing/pricelist/pricelisttest"
)

// FuzzParse feeds Parse arbitrary saved responses: it must never panic, and
// a response it accepts must give cards whose every tier has a positive,
// finite price and whose tiers follow on from each other.
func FuzzParse(f *testing.F) {
	p1, p2 := pricelisttest.Fixture(f, "functions-eastus-page1.json"), pricelisttest.Fixture(f, "functions-eastus-page2.json")
	f.Add(p1, "eastus")
	f.Add(p2, "eastus")
	f.Add(bytes.Join([][]byte{[]byte("["), p1, []byte(","), p2, []byte("]")}, nil), "eastus")
	f.Add([]byte(`{"Items":[{"currencyCode":"USD","tierMinimumUnits":0,"retailPrice":1E-05,"armRegionName":"westus",`+
		`"effectiveStartDate":"2020-01-01T00:00:00Z","meterId":"m","meterName":"Standard Total Executions","productName":"Functions",`+
		`"serviceName":"Functions","unitOfMeasure":"10","type":"Consumption"}]}`), "westus")
	pricelisttest.Fuzz(f, Parse, fetchedAt, 1, 2, pricelisttest.CheckGrants)
}
