package storetest

import (
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// card is a sealed-looking card: stores key and compare on Version, which
// the pricing package computes; here it is set by hand so that the suite
// does not depend on the hash.
func card(region string, arch catalog.Arch, perGBs float64, version string, fetched time.Time) pricing.Card {
	return pricing.Card{
		Provider: catalog.AWS, Plan: pricing.Lambda, Region: region, Arch: arch, Currency: "USD",
		Prices: []pricing.Price{
			{Meter: pricing.GBSecond, Tiers: []pricing.Tier{{From: 0, To: 6e9, USDPerUnit: perGBs, Quoted: "per GB-s"}, {From: 6e9, USDPerUnit: perGBs * 0.9, Quoted: "per GB-s"}}, SourceID: "SKU.1"},
			{Meter: pricing.Request, Tiers: []pricing.Tier{{USDPerUnit: 0.0000002, Quoted: "0.0000002 USD per Request"}}},
		},
		FreeGrants:    pricing.FreeGrantsOf(pricing.Lambda),
		Billing:       pricing.BillingOf(pricing.Lambda),
		EffectiveDate: time.Date(2030, 12, 1, 0, 0, 0, 0, time.UTC),
		Source:        "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AWSLambda/current/" + region + "/index.json",
		FetchedAt:     fetched,
		Version:       version,
	}
}

func testRateCards(t *testing.T, open opener) {
	t.Run("versions, current and history", func(t *testing.T) {
		s := open(t)
		t0 := Now().Add(-48 * time.Hour)
		v1 := card("us-east-1", catalog.X86_64, 0.0000166667, "v1", t0)
		arm := card("us-east-1", catalog.ARM64, 0.0000133334, "a1", t0)
		v2 := card("us-east-1", catalog.X86_64, 0.0000170000, "v2", t0.Add(24*time.Hour))
		same := v2
		same.FetchedAt = t0.Add(47 * time.Hour)

		for _, step := range []struct {
			c    pricing.Card
			want bool
		}{{v1, true}, {arm, true}, {v1, false}, {v2, true}, {same, false}} {
			changed, err := s.PutRateCard(t.Context(), step.c)
			checkErr(t, "PutRateCard "+step.c.Version, err, nil)
			if changed != step.want {
				t.Errorf("PutRateCard(%s) changed = %v, want %v", step.c.Version, changed, step.want)
			}
		}
		cur, err := s.CurrentRateCards(t.Context())
		checkErr(t, "CurrentRateCards", err, nil)
		// Ordered by key: aws/lambda/us-east-1/arm64 before .../x86_64.
		diff(t, "CurrentRateCards", []pricing.Card{arm, v2}, cur)
		hist, err := s.RateCardHistory(t.Context(), v1.KeyOf())
		checkErr(t, "RateCardHistory", err, nil)
		diff(t, "RateCardHistory", []pricing.Card{v2, v1}, hist)
		none, err := s.RateCardHistory(t.Context(), pricing.Key{Provider: catalog.GCP, Plan: pricing.Gen2, Region: "us-central1", Arch: catalog.X86_64})
		checkErr(t, "RateCardHistory of an unknown key", err, nil)
		if len(none) != 0 {
			t.Errorf("history of an unknown key = %v, want none", none)
		}
	})

	t.Run("unsealed cards are refused", func(t *testing.T) {
		s := open(t)
		c := card("us-east-1", catalog.X86_64, 0.0000166667, "", Now())
		_, err := s.PutRateCard(t.Context(), c)
		checkErr(t, "PutRateCard without a version", err, fault.ErrInvalid)
	})
}
