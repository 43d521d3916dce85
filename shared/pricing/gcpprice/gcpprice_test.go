package gcpprice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/pricing/pricelist/pricelisttest"
)

var fetchedAt = time.Date(2026, 9, 2, 8, 0, 0, 0, time.UTC)

// testKey looks like a real key, so that a leak of it would be caught.
const testKey = "AIzaSyTEST-secret_Key0123456789abcdefgh"

const (
	tokenFunctions = "ChxzZXJ2aWNlcy8yOUU3LURBOTMtQ0ExMy9za3VzEhBENUUyLTdBMUItQzA5Mw"
	tokenRun       = "ChxzZXJ2aWNlcy8xNTJFLUMxMTUtNTE0Mi9za3VzEhAyREE1LTU1RDMtRTY3OQ"
)

var allPages = []string{"cloud-run-functions-page1.json", "cloud-run-functions-page2.json", "cloud-run-page1.json", "cloud-run-page2.json"}

// catalogServer replays the saved pages of both services, answering only
// requests with the test key, USD and the page tokens the pages give out,
// the way the API answers a bad key. It records the queries it was sent.
func catalogServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	pages := map[string]string{
		"/v1/services/29E7-DA93-CA13/skus#":                  "cloud-run-functions-page1.json",
		"/v1/services/29E7-DA93-CA13/skus#" + tokenFunctions: "cloud-run-functions-page2.json",
		"/v1/services/152E-C115-5142/skus#":                  "cloud-run-page1.json",
		"/v1/services/152E-C115-5142/skus#" + tokenRun:       "cloud-run-page2.json",
	}
	var (
		mu      sync.Mutex
		queries []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		if r.Header.Get("X-Goog-Api-Key") != testKey || q.Has("key") {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`))
			return
		}
		name, ok := pages[r.URL.Path+"#"+q.Get("pageToken")]
		if !ok || q.Get("currencyCode") != "USD" || q.Get("pageSize") != "5000" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		_, _ = w.Write(pricelisttest.Fixture(t, name))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), queries...)
	}
}

func fn(id string) string  { return "services/29E7-DA93-CA13/skus/" + id }
func run(id string) string { return "services/152E-C115-5142/skus/" + id }

var eff = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)

func gen2(region, source, cpuSKU, memSKU, reqSKU string, cpu, mem float64, cpuQ, memQ string) pricing.Card {
	c := pricing.Card{
		Provider: catalog.GCP, Plan: pricing.Gen2, Region: region, Arch: catalog.X86_64, Currency: "USD",
		Prices: []pricing.Price{
			{Meter: pricing.VCPUSecond, SourceID: cpuSKU, Tiers: []pricing.Tier{{From: 180_000, USDPerUnit: cpu, Quoted: cpuQ + " USD per s"}}},
			{Meter: pricing.GiBSecond, SourceID: memSKU, Tiers: []pricing.Tier{{From: 360_000, USDPerUnit: mem, Quoted: memQ + " USD per GiBy.s"}}},
			{Meter: pricing.Request, SourceID: reqSKU, Tiers: []pricing.Tier{{From: 2_000_000, USDPerUnit: 0.0000004, Quoted: "0.0000004 USD per count"}}},
		},
		FreeGrants:    []pricing.Grant{{Meter: pricing.VCPUSecond, Units: 180_000}, {Meter: pricing.GiBSecond, Units: 360_000}, {Meter: pricing.Request, Units: 2_000_000}},
		Billing:       pricing.Billing{MinDurationMs: 100, StepMs: 100},
		EffectiveDate: eff, Source: source, FetchedAt: fetchedAt,
	}
	c.Seal()
	return c
}

func gen1(region, source, cpuSKU, memSKU string, cpu, mem float64, cpuQ, memQ string) pricing.Card {
	c := pricing.Card{
		Provider: catalog.GCP, Plan: pricing.Gen1, Region: region, Arch: catalog.X86_64, Currency: "USD",
		Prices: []pricing.Price{
			{Meter: pricing.GHzSecond, SourceID: cpuSKU, Tiers: []pricing.Tier{{From: 200_000, USDPerUnit: cpu, Quoted: cpuQ + " USD per GHz.s"}}},
			{Meter: pricing.GBSecond, SourceID: memSKU, Tiers: []pricing.Tier{{From: 400_000, USDPerUnit: mem, Quoted: memQ + " USD per GiBy.s"}}},
			{Meter: pricing.Request, SourceID: fn("8E10-82EB-6917"), Tiers: []pricing.Tier{{From: 2_000_000, USDPerUnit: 0.0000004, Quoted: "0.0000004 USD per count"}}},
		},
		FreeGrants:    []pricing.Grant{{Meter: pricing.GHzSecond, Units: 200_000}, {Meter: pricing.GBSecond, Units: 400_000}, {Meter: pricing.Request, Units: 2_000_000}},
		Billing:       pricing.Billing{MinDurationMs: 100, StepMs: 100},
		EffectiveDate: eff, Source: source, FetchedAt: fetchedAt,
	}
	c.Seal()
	return c
}

func TestFetchReadsBothServicesPageByPage(t *testing.T) {
	srv, queries := catalogServer(t)
	f := &Fetcher{BaseURL: srv.URL, Client: srv.Client(), APIKey: testKey, Now: func() time.Time { return fetchedAt }}
	source := strings.Join([]string{
		srv.URL + "/v1/services/29E7-DA93-CA13/skus?currencyCode=USD&pageSize=5000",
		srv.URL + "/v1/services/29E7-DA93-CA13/skus?currencyCode=USD&pageSize=5000&pageToken=" + tokenFunctions,
		srv.URL + "/v1/services/152E-C115-5142/skus?currencyCode=USD&pageSize=5000",
		srv.URL + "/v1/services/152E-C115-5142/skus?currencyCode=USD&pageSize=5000&pageToken=" + tokenRun,
	}, " ")
	for _, tc := range []struct {
		name, region string
		want         []pricing.Card
	}{
		{"tier 1 region", "us-central1", []pricing.Card{
			gen2("us-central1", source, fn("6FB4-41D8-0936"), fn("70C5-52E9-1A47"), fn("92DF-0F0E-630F"), 0.000024, 0.0000025, "0.000024", "0.0000025"),
			gen1("us-central1", source, fn("C024-9C10-2A5B"), fn("1F3A-6C2D-8B41"), 0.00001, 0.0000025, "0.00001", "0.0000025"),
		}},
		{"tier 2 region", "southamerica-east1", []pricing.Card{
			gen2("southamerica-east1", source, fn("81D6-63FA-2B58"), fn("92E7-740B-3C69"), fn("92DF-0F0E-630F"), 0.0000336, 0.0000035, "0.0000336", "0.0000035"),
			gen1("southamerica-east1", source, fn("2B7E-0D94-C5F2"), fn("3C81-1EA5-D603"), 0.000014, 0.0000035, "0.000014", "0.0000035"),
		}},
		// No 2nd gen CPU or memory SKU of its own here: Cloud Run's request-based rates.
		{"2nd gen from Cloud Run", "asia-east1", []pricing.Card{
			gen2("asia-east1", source, run("4856-B847-F1EB"), run("02A2-9231-36A6"), fn("92DF-0F0E-630F"), 0.000024, 0.0000025, "0.000024", "0.0000025"),
			gen1("asia-east1", source, fn("C024-9C10-2A5B"), fn("1F3A-6C2D-8B41"), 0.00001, 0.0000025, "0.00001", "0.0000025"),
		}},
		// No 1st gen CPU or memory SKU serves it: no gen1 card.
		{"2nd gen only", "europe-west2", []pricing.Card{
			gen2("europe-west2", source, fn("CCB6-0B74-2074"), fn("89AF-3B9D-D104"), fn("92DF-0F0E-630F"), 0.0000336, 0.0000035, "0.0000336", "0.0000035"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.Fetch(context.Background(), tc.region)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("cards (-want +got):\n%s", diff)
			}
		})
	}
	want := []string{
		"/v1/services/29E7-DA93-CA13/skus?currencyCode=USD&pageSize=5000",
		"/v1/services/29E7-DA93-CA13/skus?currencyCode=USD&pageSize=5000&pageToken=" + tokenFunctions,
		"/v1/services/152E-C115-5142/skus?currencyCode=USD&pageSize=5000",
		"/v1/services/152E-C115-5142/skus?currencyCode=USD&pageSize=5000&pageToken=" + tokenRun,
	}
	// The four regions share one read of the catalogue.
	if diff := cmp.Diff(want, queries()); diff != "" {
		t.Errorf("requests of four fetches (-want +got):\n%s", diff)
	}
}

func TestFetchNeedsAKey(t *testing.T) {
	f := &Fetcher{BaseURL: "http://127.0.0.1:1"}
	if _, err := f.Fetch(context.Background(), "us-central1"); !errors.Is(err, ErrNoAPIKey) {
		t.Fatalf("got %v, want ErrNoAPIKey", err)
	}
}

func TestFetchRefusesABadRegion(t *testing.T) {
	f := &Fetcher{BaseURL: "http://127.0.0.1:1", APIKey: testKey}
	for _, region := range []string{"", "global", "us", "us-central", "US-CENTRAL1", "us-central1/x", "-central1", "us-1"} {
		if _, err := f.Fetch(context.Background(), region); !errors.Is(err, ErrRegion) {
			t.Errorf("Fetch(%q) = %v, want ErrRegion", region, err)
		}
	}
}

// The key must not leak through an error, whatever fails.
func TestTheKeyNeverAppearsInAnError(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + closed.Addr().String()
	closed.Close()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		base    string
		key     string
		want    string
	}{
		{"server echoes the request", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"error":{"code":403,"message":"denied: %s"}}`, r.URL.String())
		}, "", testKey, "HTTP 403"},
		{"throttled", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintf(w, `{"error":{"code":429,"message":"Quota exceeded for key %s"}}`, r.Header.Get("X-Goog-Api-Key"))
		}, "", testKey, "HTTP 429 Too Many Requests (Retry-After 60)"},
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}, "", testKey, "HTTP 500"},
		{"redirect to a scheme the client refuses", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "gopher://127.0.0.1/?"+r.URL.RawQuery, http.StatusFound)
		}, "", testKey, "unsupported protocol scheme"},
		{"nothing listening", nil, deadURL, testKey, "connect"},
		{"a key that needs escaping", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "bad request %s", r.URL.RawQuery)
		}, "", "s3cret key+/=&x", "HTTP 400"},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "<html>%s</html>", r.URL.String())
		}, "", testKey, "decode page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := tc.base
			client := http.DefaultClient
			if tc.handler != nil {
				srv := httptest.NewServer(tc.handler)
				defer srv.Close()
				base, client = srv.URL, srv.Client()
			}
			f := &Fetcher{BaseURL: base, Client: client, APIKey: tc.key}
			_, err := f.Fetch(context.Background(), "us-central1")
			if err == nil {
				t.Fatal("got no error")
			}
			msg := err.Error()
			for e := error(err); e != nil; e = errors.Unwrap(e) {
				msg += " | " + e.Error()
			}
			for _, leak := range []string{tc.key, url.QueryEscape(tc.key), "s3cret"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error chain %q contains %q", msg, leak)
				}
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestFetchStopsAPagingLoop(t *testing.T) {
	for _, tc := range []struct {
		name  string
		token func(n int64) string
		want  string
	}{
		{"a token that repeats", func(int64) string { return "same" }, `nextPageToken "same" repeats an earlier page`},
		{"two tokens in turn", func(n int64) string { return fmt.Sprint(n % 2) }, `repeats an earlier page`},
		{"endless new tokens", func(n int64) string { return fmt.Sprint(n) }, "more than 4 pages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = json.NewEncoder(w).Encode(map[string]any{"skus": []any{}, "nextPageToken": tc.token(n.Add(1))})
			}))
			defer srv.Close()
			f := &Fetcher{BaseURL: srv.URL, Client: srv.Client(), APIKey: testKey, MaxPages: 4}
			_, err := f.Fetch(context.Background(), "us-central1")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// decoded is the four saved pages, decoded for editing.
func decoded(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, name := range allPages {
		var p map[string]any
		if err := json.Unmarshal(pricelisttest.Fixture(t, name), &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// skuOf finds a SKU by ID on any page.
func skuOf(t *testing.T, ps []map[string]any, id string) map[string]any {
	t.Helper()
	for _, p := range ps {
		for _, s := range p["skus"].([]any) {
			if m := s.(map[string]any); m["skuId"] == id {
				return m
			}
		}
	}
	t.Fatalf("no SKU %s", id)
	return nil
}

// expr is a SKU's first pricing expression.
func expr(t *testing.T, ps []map[string]any, id string) map[string]any {
	return skuOf(t, ps, id)["pricingInfo"].([]any)[0].(map[string]any)["pricingExpression"].(map[string]any)
}

// rateOf is one tiered rate of a SKU.
func rateOf(t *testing.T, ps []map[string]any, id string, i int) map[string]any {
	return expr(t, ps, id)["tieredRates"].([]any)[i].(map[string]any)
}

func parsePages(t *testing.T, ps []map[string]any, region string) ([]pricing.Card, error) {
	t.Helper()
	body, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(bytes.NewReader(body), region, "saved.json", fetchedAt)
}

func TestParseReadsAnArrayOfPages(t *testing.T) {
	got, err := parsePages(t, decoded(t), "us-central1")
	if err != nil {
		t.Fatal(err)
	}
	want := []pricing.Card{
		gen2("us-central1", "saved.json", fn("6FB4-41D8-0936"), fn("70C5-52E9-1A47"), fn("92DF-0F0E-630F"), 0.000024, 0.0000025, "0.000024", "0.0000025"),
		gen1("us-central1", "saved.json", fn("C024-9C10-2A5B"), fn("1F3A-6C2D-8B41"), 0.00001, 0.0000025, "0.00001", "0.0000025"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cards (-want +got):\n%s", diff)
	}
}

// One saved page of the Cloud Run service alone is enough for gen2 where
// the region's requests and rates are all in it.
func TestParseReadsOnePage(t *testing.T) {
	got, err := Parse(bytes.NewReader(pricelisttest.Fixture(t, "cloud-run-page1.json")), "us-central1", "cloud-run-page1.json", fetchedAt)
	if err != nil {
		t.Fatal(err)
	}
	want := gen2("us-central1", "cloud-run-page1.json", run("4856-B847-F1EB"), run("02A2-9231-36A6"), run("2DA5-55D3-E679"), 0.000024, 0.0000025, "0.000024", "0.0000025")
	if diff := cmp.Diff([]pricing.Card{want}, got); diff != "" {
		t.Errorf("cards (-want +got):\n%s", diff)
	}
}

// GBy.s (10^9 bytes) rates are converted to gibibyte-seconds through the
// base unit.
func TestParseConvertsThroughTheBaseUnit(t *testing.T) {
	ps := decoded(t)
	e := expr(t, ps, "70C5-52E9-1A47")
	e["usageUnit"], e["baseUnitConversionFactor"] = "GBy.s", 1e9
	got, err := parsePages(t, ps, "us-central1")
	if err != nil {
		t.Fatal(err)
	}
	tier := got[0].Prices[1].Tiers[0]
	const gib = 1 << 30
	near := func(got, want float64) bool { return math.Abs(got-want) <= 1e-12*want }
	if want := 360_000 * 1e9 / gib; !near(tier.From, want) {
		t.Errorf("From = %v, want %v", tier.From, want)
	}
	if want := 0.0000025 * gib / 1e9; !near(tier.USDPerUnit, want) {
		t.Errorf("USDPerUnit = %v, want %v", tier.USDPerUnit, want)
	}
	if tier.Quoted != "0.0000025 USD per GBy.s" {
		t.Errorf("Quoted = %q", tier.Quoted)
	}
}

func TestParseRejectsAChangedShape(t *testing.T) {
	const gen1CPU, gen1Mem = "C024-9C10-2A5B", "1F3A-6C2D-8B41"
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, ps []map[string]any)
		want   string
	}{
		{"units as a number", func(t *testing.T, ps []map[string]any) {
			rateOf(t, ps, gen1CPU, 1)["unitPrice"].(map[string]any)["units"] = 0
		}, `page 1 skus[6].pricingInfo[0].pricingExpression.tieredRates[1].unitPrice.units: 0 is not an int64 in a JSON string`},
		{"units not a number", func(t *testing.T, ps []map[string]any) {
			rateOf(t, ps, gen1CPU, 1)["unitPrice"].(map[string]any)["units"] = "abc"
		}, `tieredRates[1].unitPrice.units: "abc" is not a whole number of dollars`},
		{"nanos as a string", func(t *testing.T, ps []map[string]any) {
			rateOf(t, ps, gen1CPU, 1)["unitPrice"].(map[string]any)["nanos"] = "abc"
		}, `tieredRates[1].unitPrice.nanos: "abc" is not a number`},
		{"nanos out of range", func(t *testing.T, ps []map[string]any) {
			rateOf(t, ps, gen1CPU, 1)["unitPrice"].(map[string]any)["nanos"] = 1e9
		}, `tieredRates[1].unitPrice.nanos: 1000000000 is not 0 to 999999999`},
		{"price renamed", func(t *testing.T, ps []map[string]any) {
			r := rateOf(t, ps, gen1CPU, 1)
			r["price"] = r["unitPrice"]
			delete(r, "unitPrice")
		}, `page 1 skus[6].pricingInfo[0].pricingExpression.tieredRates[1].unitPrice: missing`},
		{"another currency", func(t *testing.T, ps []map[string]any) {
			rateOf(t, ps, gen1CPU, 1)["unitPrice"].(map[string]any)["currencyCode"] = "EUR"
		}, `unitPrice.currencyCode: "EUR", want "USD"`},
		{"zero price in the paid tier", func(t *testing.T, ps []map[string]any) {
			rateOf(t, ps, gen1CPU, 1)["unitPrice"].(map[string]any)["nanos"] = 0
		}, `tieredRates[1].unitPrice: price 0 from 200000 GHz.s is not a free-tier row`},
		{"wrong conversion factor", func(t *testing.T, ps []map[string]any) {
			expr(t, ps, gen1Mem)["baseUnitConversionFactor"] = 1000000000
		}, `page 2 skus[0].pricingInfo[0].pricingExpression.baseUnitConversionFactor: 1e+09 By.s per GiBy.s, want 1.073741824e+09 By.s`},
		{"base unit changed", func(t *testing.T, ps []map[string]any) {
			expr(t, ps, gen1CPU)["baseUnit"] = "s"
		}, `page 1 skus[6].pricingInfo[0].pricingExpression.baseUnit: "s", want "Hz.s" for ghz_second`},
		{"factor missing", func(t *testing.T, ps []map[string]any) {
			delete(expr(t, ps, gen1CPU), "baseUnitConversionFactor")
		}, `page 1 skus[6].pricingInfo[0].pricingExpression.baseUnitConversionFactor: missing`},
		{"rates missing", func(t *testing.T, ps []map[string]any) {
			delete(expr(t, ps, gen1CPU), "tieredRates")
		}, `page 1 skus[6].pricingInfo[0].pricingExpression.tieredRates: missing`},
		{"no pricing info", func(t *testing.T, ps []map[string]any) {
			delete(skuOf(t, ps, gen1CPU), "pricingInfo")
		}, `page 1 skus[6].pricingInfo: missing`},
		{"effective time changed", func(t *testing.T, ps []map[string]any) {
			skuOf(t, ps, gen1CPU)["pricingInfo"].([]any)[0].(map[string]any)["effectiveTime"] = "yesterday"
		}, `page 1 skus[6].pricingInfo[0].effectiveTime: "yesterday" is not an RFC 3339 time`},
		{"1st gen memory missing", func(t *testing.T, ps []map[string]any) {
			skuOf(t, ps, gen1Mem)["description"] = "Cloud Run functions (1st Gen) RAM (Request-based billing)"
		}, `plan gen1: no gb_second price for us-central1 in the list (OnDemand SKU "Cloud Run functions (1st Gen) Memory" or "Memory Time")`},
		{"tier 1 and tier 2 both serve the region", func(t *testing.T, ps []map[string]any) {
			s := skuOf(t, ps, "2B7E-0D94-C5F2")
			s["serviceRegions"] = append(s["serviceRegions"].([]any), "us-central1")
		}, `plan gen1 ghz_second: 2 SKUs serve us-central1`},
		{"skus renamed", func(t *testing.T, ps []map[string]any) {
			ps[3]["items"] = ps[3]["skus"]
			delete(ps[3], "skus")
		}, `page 4: skus: missing`},
		{"description of another type", func(t *testing.T, ps []map[string]any) {
			skuOf(t, ps, gen1CPU)["description"] = 7
		}, `description`},
		{"tiers counted daily", func(t *testing.T, ps []map[string]any) {
			skuOf(t, ps, gen1CPU)["pricingInfo"].([]any)[0].(map[string]any)["aggregationInfo"].(map[string]any)["aggregationInterval"] = "DAILY"
		}, `page 1 skus[6].pricingInfo[0].aggregationInfo: tiers aggregated DAILY by ACCOUNT, want MONTHLY by ACCOUNT`},
		{"nothing for the region", func(t *testing.T, ps []map[string]any) {
			for _, p := range ps {
				p["skus"] = []any{}
			}
		}, `no plan (gen2, gen1) has a regional CPU or memory SKU serving us-central1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := decoded(t)
			tc.change(t, ps)
			cards, err := parsePages(t, ps, "us-central1")
			if err == nil {
				t.Fatalf("got cards %+v, want an error containing %q", cards, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// CUD, GPU, min-instance, instance-based, jobs and network SKUs never make a
// price, even where they are the only ones left.
func TestClassifyIgnoresWhatFISODoesNotPrice(t *testing.T) {
	for _, id := range []string{"2A97-8DD1-3C31", "9B30-BE8E-2299", "4D92-2FB6-E714", "5EA3-30C7-F825", "A3F8-851C-4D7A",
		"B409-962D-5E8B", "7EBB-8579-2C98", "4350-71E4-3051", "3DFE-FD5E-A6D0", "900B-EA7D-0386", "60D0-02B3-9EFD",
		"C51A-A73E-6F9C", "D62B-B84F-70AD"} {
		raw, _ := json.Marshal(skuOf(t, decoded(t), id))
		var s sku
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if k, _, ok := classify(s); ok {
			t.Errorf("%s %q classified as %v", id, s.Description, k)
		}
	}
}
