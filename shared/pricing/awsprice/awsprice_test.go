package awsprice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/pricing/pricelist/pricelisttest"
)

var fetchedAt = time.Date(2026, 9, 2, 8, 0, 0, 0, time.UTC)

// offerServer replays the saved offer files at the bulk API's paths.
func offerServer(t *testing.T) *httptest.Server {
	t.Helper()
	files := map[string]string{
		"/offers/v1.0/aws/AWSLambda/current/us-east-1/index.json": "AWSLambda-us-east-1.json",
		"/offers/v1.0/aws/AWSLambda/current/eu-west-2/index.json": "AWSLambda-eu-west-2.json",
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := files[r.URL.Path]
		if r.Method != http.MethodGet || !ok || r.URL.RawQuery != "" {
			http.Error(w, "<Error><Code>AccessDenied</Code></Error>", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(pricelisttest.Fixture(t, name))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func x86Duration(sku string) pricing.Price {
	return pricing.Price{Meter: pricing.GBSecond, SourceID: sku + ".JRTCKXETXF", Tiers: []pricing.Tier{
		{From: 0, To: 6e9, USDPerUnit: 0.0000166667, Quoted: "0.0000166667 USD per Lambda-GB-Second"},
		{From: 6e9, To: 15e9, USDPerUnit: 0.000015, Quoted: "0.0000150000 USD per Lambda-GB-Second"},
		{From: 15e9, USDPerUnit: 0.0000133334, Quoted: "0.0000133334 USD per Lambda-GB-Second"},
	}}
}

func armDuration(sku string) pricing.Price {
	return pricing.Price{Meter: pricing.GBSecond, SourceID: sku + ".JRTCKXETXF", Tiers: []pricing.Tier{
		{From: 0, To: 7.5e9, USDPerUnit: 0.0000133334, Quoted: "0.0000133334 USD per Lambda-GB-Second"},
		{From: 7.5e9, To: 18.75e9, USDPerUnit: 0.0000120001, Quoted: "0.0000120001 USD per Lambda-GB-Second"},
		{From: 18.75e9, USDPerUnit: 0.0000106667, Quoted: "0.0000106667 USD per Lambda-GB-Second"},
	}}
}

func requests(sku, unit string) pricing.Price {
	return pricing.Price{Meter: pricing.Request, SourceID: sku + ".JRTCKXETXF.6YS6EN2CT7", Tiers: []pricing.Tier{
		{From: 0, USDPerUnit: 0.0000002, Quoted: "0.0000002000 USD per " + unit},
	}}
}

func card(region string, arch catalog.Arch, eff time.Time, source string, prices ...pricing.Price) pricing.Card {
	c := pricing.Card{
		Provider: catalog.AWS, Plan: pricing.Lambda, Region: region, Arch: arch, Currency: "USD",
		Prices:        prices,
		FreeGrants:    []pricing.Grant{{Meter: pricing.GBSecond, Units: 400_000}, {Meter: pricing.Request, Units: 1_000_000}},
		Billing:       pricing.Billing{MinDurationMs: 1, StepMs: 1},
		EffectiveDate: eff, Source: source, FetchedAt: fetchedAt,
	}
	c.Seal()
	return c
}

func TestFetchReadsBothArchitecturesWithTheirTiers(t *testing.T) {
	srv := offerServer(t)
	f := &Fetcher{BaseURL: srv.URL, Client: srv.Client(), Now: func() time.Time { return fetchedAt }}
	use1 := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	euw2 := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		region string
		want   []pricing.Card
	}{
		{"us-east-1", []pricing.Card{
			card("us-east-1", catalog.X86_64, use1, srv.URL+"/offers/v1.0/aws/AWSLambda/current/us-east-1/index.json",
				x86Duration("TG3M4CAGBA3NYQBH"), requests("GU2ZS9HVP6QTQ7KE", "Requests")),
			card("us-east-1", catalog.ARM64, use1, srv.URL+"/offers/v1.0/aws/AWSLambda/current/us-east-1/index.json",
				armDuration("72SBSFWPMDTH8S3J"), requests("K7BX6567RJ67A2KE", "Requests")),
		}},
		// Outside us-east-1 every usage type carries the region's prefix.
		{"eu-west-2", []pricing.Card{
			card("eu-west-2", catalog.X86_64, euw2, srv.URL+"/offers/v1.0/aws/AWSLambda/current/eu-west-2/index.json",
				x86Duration("RP9RSZYUC96SQ4G2"), requests("NDYBVXT3KB548Z2A", "Request")),
			card("eu-west-2", catalog.ARM64, euw2, srv.URL+"/offers/v1.0/aws/AWSLambda/current/eu-west-2/index.json",
				armDuration("VGMFG9KJ58Z2FK83"), requests("D4TPQYY66DKTZWX9", "Requests")),
		}},
	} {
		t.Run(tc.region, func(t *testing.T) {
			got, err := f.Fetch(context.Background(), tc.region)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cards (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchFailsOnHTTPErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header string
		want   []string
	}{
		{"throttled", http.StatusTooManyRequests, "7", []string{"HTTP 429", "Retry-After 7", "SlowDown"}},
		{"server error", http.StatusServiceUnavailable, "", []string{"HTTP 503", "SlowDown"}},
		{"not found", http.StatusNotFound, "", []string{"HTTP 404"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte("<Error><Code>SlowDown</Code></Error>"))
			}))
			defer srv.Close()
			f := &Fetcher{BaseURL: srv.URL, Client: srv.Client()}
			_, err := f.Fetch(context.Background(), "us-east-1")
			var se *StatusError
			if !errors.As(err, &se) || se.Status != tc.status {
				t.Fatalf("got %v, want a *StatusError with status %d", err, tc.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestFetchRefusesAnOversizedBody(t *testing.T) {
	srv := offerServer(t)
	f := &Fetcher{BaseURL: srv.URL, Client: srv.Client(), MaxBytes: 1024}
	if _, err := f.Fetch(context.Background(), "us-east-1"); err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Fatalf("got %v, want a size error", err)
	}
}

func TestFetchRefusesABadRegion(t *testing.T) {
	f := &Fetcher{BaseURL: "http://127.0.0.1:1"}
	for _, region := range []string{"", "us-east", "../../x", "US-EAST-1", "us-east-1/../eu-west-1", "us-east-x"} {
		if _, err := f.Fetch(context.Background(), region); !errors.Is(err, ErrRegion) {
			t.Errorf("Fetch(%q) = %v, want ErrRegion", region, err)
		}
	}
}

// mutate decodes a fixture, lets change edit it, and encodes it again.
func mutate(t *testing.T, name string, change func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(pricelisttest.Fixture(t, name), &doc); err != nil {
		t.Fatal(err)
	}
	change(doc)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// at walks a decoded JSON document.
func at(doc map[string]any, keys ...string) map[string]any {
	m := doc
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

const (
	x86SKU  = "RP9RSZYUC96SQ4G2"
	x86Term = x86SKU + ".JRTCKXETXF"
	tier2   = x86Term + ".QZE2SB4KVB"
	armReq  = "D4TPQYY66DKTZWX9"
)

func TestParseRejectsAChangedShape(t *testing.T) {
	dims := func(doc map[string]any) map[string]any {
		return at(doc, "terms", "OnDemand", x86SKU, x86Term, "priceDimensions")
	}
	for _, tc := range []struct {
		name   string
		change func(doc map[string]any)
		want   string
	}{
		{"price is not a decimal", func(doc map[string]any) {
			at(dims(doc), tier2, "pricePerUnit")["USD"] = "abc"
		}, `terms.OnDemand["RP9RSZYUC96SQ4G2"]["RP9RSZYUC96SQ4G2.JRTCKXETXF"].priceDimensions["RP9RSZYUC96SQ4G2.JRTCKXETXF.QZE2SB4KVB"].pricePerUnit.USD: "abc" is not a decimal price`},
		{"price in exponent form", func(doc map[string]any) {
			at(dims(doc), tier2, "pricePerUnit")["USD"] = "1.5E-5"
		}, `pricePerUnit.USD: "1.5E-5" is not a decimal price`},
		{"price renamed", func(doc map[string]any) {
			d := at(dims(doc), tier2)
			d["price"] = d["pricePerUnit"]
			delete(d, "pricePerUnit")
		}, `priceDimensions["RP9RSZYUC96SQ4G2.JRTCKXETXF.QZE2SB4KVB"].pricePerUnit.USD: missing`},
		{"price in another currency only", func(doc map[string]any) {
			at(dims(doc), tier2)["pricePerUnit"] = map[string]any{"CNY": "0.000108"}
		}, `pricePerUnit.USD: missing`},
		{"range renamed", func(doc map[string]any) {
			d := at(dims(doc), tier2)
			d["startingRange"] = d["beginRange"]
			delete(d, "beginRange")
		}, `priceDimensions["RP9RSZYUC96SQ4G2.JRTCKXETXF.QZE2SB4KVB"].beginRange: missing`},
		{"price of zero in a paid tier", func(doc map[string]any) {
			at(dims(doc), tier2, "pricePerUnit")["USD"] = "0.0000000000"
		}, `pricePerUnit.USD: price 0 in tier 2 is not a free-tier row`},
		{"gap between tiers", func(doc map[string]any) {
			at(dims(doc), tier2)["beginRange"] = "7000000000"
		}, `endRange: 6e+09 does not meet the next tier's beginRange 7e+09`},
		{"unit changed", func(doc map[string]any) {
			at(dims(doc), tier2)["unit"] = "Lambda-GB-Hour"
		}, `priceDimensions["RP9RSZYUC96SQ4G2.JRTCKXETXF.QZE2SB4KVB"].unit: "Lambda-GB-Hour"`},
		{"effective date changed", func(doc map[string]any) {
			at(doc, "terms", "OnDemand", x86SKU, x86Term)["effectiveDate"] = "01/08/2026"
		}, `terms.OnDemand["RP9RSZYUC96SQ4G2"]["RP9RSZYUC96SQ4G2.JRTCKXETXF"].effectiveDate: "01/08/2026" is not an RFC 3339 time`},
		{"arm requests missing", func(doc map[string]any) {
			delete(at(doc, "products"), armReq)
		}, `plan lambda arm64: no request price in the list (usagetype Request-ARM)`},
		{"arm requests without terms", func(doc map[string]any) {
			delete(at(doc, "terms", "OnDemand"), armReq)
		}, `terms.OnDemand["D4TPQYY66DKTZWX9"]: missing`},
		{"group changed", func(doc map[string]any) {
			at(doc, "products", x86SKU, "attributes")["group"] = "AWS-Lambda-Duration-Provisioned"
		}, `products["RP9RSZYUC96SQ4G2"].attributes.group: "AWS-Lambda-Duration-Provisioned", want "AWS-Lambda-Duration"`},
		{"file of another region", func(doc map[string]any) {
			at(doc, "products", x86SKU, "attributes")["regionCode"] = "eu-west-1"
		}, `products["RP9RSZYUC96SQ4G2"].attributes.regionCode: "eu-west-1", want "eu-west-2"`},
		{"two products for one meter", func(doc map[string]any) {
			p := at(doc, "products")
			p["ZZZZ"] = map[string]any{"sku": "ZZZZ", "attributes": at(p, x86SKU, "attributes")}
		}, `SKUs RP9RSZYUC96SQ4G2 and ZZZZ both price x86_64 gb_second`},
		{"free tier with a price", func(doc map[string]any) {
			at(doc, "terms", "OnDemand", "ZQVCC2M69R4S79XS", "ZQVCC2M69R4S79XS.A429C66SYZ", "priceDimensions",
				"ZQVCC2M69R4S79XS.A429C66SYZ.SB2VSFF4TP", "pricePerUnit")["USD"] = "0.0000002000"
		}, `a free tier is $0 from 0 to a bound`},
		{"another service", func(doc map[string]any) { doc["offerCode"] = "AmazonEC2" }, `offerCode: "AmazonEC2", want "AWSLambda"`},
		{"another format", func(doc map[string]any) { doc["formatVersion"] = "v2.0" }, `formatVersion: "v2.0"`},
		{"no on-demand terms", func(doc map[string]any) { delete(at(doc, "terms"), "OnDemand") }, `terms.OnDemand: missing`},
		{"attribute of another type", func(doc map[string]any) {
			at(doc, "products", x86SKU, "attributes")["usagetype"] = 7
		}, `products.attributes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := mutate(t, "AWSLambda-eu-west-2.json", tc.change)
			cards, err := Parse(bytes.NewReader(body), "eu-west-2", "test", fetchedAt)
			if err == nil {
				t.Fatalf("got cards %+v, want an error containing %q", cards, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// A list without the free-tier rows gets the built-in grants.
func TestParseFallsBackToTheBuiltInFreeTier(t *testing.T) {
	body := mutate(t, "AWSLambda-us-east-1.json", func(doc map[string]any) {
		delete(at(doc, "products"), "4VCGJ7EG8PJVZG7S")
		delete(at(doc, "products"), "ZQVCC2M69R4S79XS")
	})
	cards, err := Parse(bytes.NewReader(body), "us-east-1", "test", fetchedAt)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cards {
		if diff := cmp.Diff(pricing.FreeGrantsOf(pricing.Lambda), c.FreeGrants); diff != "" {
			t.Errorf("%s grants (-want +got):\n%s", c.Arch, diff)
		}
	}
}

// The list's own free tier wins over the built-in one.
func TestParseReadsTheFreeTierFromTheList(t *testing.T) {
	body := mutate(t, "AWSLambda-us-east-1.json", func(doc map[string]any) {
		at(doc, "terms", "OnDemand", "ZQVCC2M69R4S79XS", "ZQVCC2M69R4S79XS.A429C66SYZ", "priceDimensions",
			"ZQVCC2M69R4S79XS.A429C66SYZ.SB2VSFF4TP")["endRange"] = "2000000"
	})
	cards, err := Parse(bytes.NewReader(body), "us-east-1", "test", fetchedAt)
	if err != nil {
		t.Fatal(err)
	}
	want := []pricing.Grant{{Meter: pricing.GBSecond, Units: 400_000}, {Meter: pricing.Request, Units: 2_000_000}}
	if diff := cmp.Diff(want, cards[0].FreeGrants); diff != "" {
		t.Errorf("grants (-want +got):\n%s", diff)
	}
}

func TestParseRefusesTrailingData(t *testing.T) {
	body := append(pricelisttest.Fixture(t, "AWSLambda-us-east-1.json"), []byte(`{"x":1}`)...)
	if _, err := Parse(bytes.NewReader(body), "us-east-1", "test", fetchedAt); err == nil {
		t.Fatal("got no error for two JSON documents")
	}
}

func TestBaseUsageType(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Lambda-GB-Second", "Lambda-GB-Second"},
		{"Request-ARM", "Request-ARM"},
		{"EUW2-Lambda-GB-Second-ARM", "Lambda-GB-Second-ARM"},
		{"APN1-Request", "Request"},
		{"EU-Request", "Request"},
		{"USE1-Request", "Request"},
		{"Global-Request", "Global-Request"},
		{"EUW2-Lambda-Edge-Request", "Lambda-Edge-Request"},
	} {
		if got := baseUsageType(tc.in); got != tc.want {
			t.Errorf("baseUsageType(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Without a region, Parse reads the one the file names.
func TestParseReadsTheFilesRegion(t *testing.T) {
	cards, err := Parse(bytes.NewReader(pricelisttest.Fixture(t, "AWSLambda-eu-west-2.json")), "", "saved.json", fetchedAt)
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 2 || cards[0].Region != "eu-west-2" || cards[1].Region != "eu-west-2" {
		t.Errorf("got cards %+v, want eu-west-2's", cards)
	}
	body := mutate(t, "AWSLambda-eu-west-2.json", func(doc map[string]any) {
		at(doc, "products", armReq, "attributes")["regionCode"] = "eu-west-1"
	})
	if _, err := Parse(bytes.NewReader(body), "", "saved.json", fetchedAt); err == nil || !strings.Contains(err.Error(), "name 2 regions ([eu-west-1 eu-west-2])") {
		t.Errorf("got %v, want an error naming both regions", err)
	}
}
