package azureprice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/pricing/pricelist/pricelisttest"
)

var fetchedAt = time.Date(2026, 9, 2, 8, 0, 0, 0, time.UTC)

const (
	wantQuery = "$filter=serviceName%20eq%20%27Functions%27%20and%20armRegionName%20eq%20%27eastus%27"
	realHost  = "https://prices.azure.com:443"
)

// pricesServer replays the two saved pages of the eastus Functions query,
// with the first page's NextPageLink pointed at itself, and records the
// queries it was sent.
func pricesServer(t *testing.T) (*httptest.Server, *[]string) {
	t.Helper()
	var queries []string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		if r.URL.Path != "/api/retail/prices" || r.URL.Query().Get("$filter") != Filter("eastus") {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"Error":{"Code":"BadRequest","Message":"Invalid OData parameters supplied"}}`))
			return
		}
		var body []byte
		switch r.URL.Query().Get("$skip") {
		case "":
			body = bytes.ReplaceAll(pricelisttest.Fixture(t, "functions-eastus-page1.json"), []byte(realHost), []byte(srv.URL))
		case "100":
			body = pricelisttest.Fixture(t, "functions-eastus-page2.json")
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &queries
}

func wantCards(source string) []pricing.Card {
	consumption := pricing.Card{
		Provider: catalog.Azure, Plan: pricing.Consumption, Region: "eastus", Arch: catalog.X86_64, Currency: "USD",
		Prices: []pricing.Price{
			{Meter: pricing.GBSecond, SourceID: "2a384075-01d7-4f66-a84a-0eed3ca58876", Tiers: []pricing.Tier{
				{From: 400_000, USDPerUnit: 0.000016, Quoted: "0.000016 USD per 1 GB Second"},
			}},
			{Meter: pricing.Request, SourceID: "4e5cd9e2-c20f-4d7f-acbe-58931b8b49ef", Tiers: []pricing.Tier{
				{From: 1_000_000, USDPerUnit: 0.0000002, Quoted: "0.000002 USD per 10"},
			}},
		},
		FreeGrants:    []pricing.Grant{{Meter: pricing.GBSecond, Units: 400_000}, {Meter: pricing.Request, Units: 1_000_000}},
		Billing:       pricing.Billing{MinDurationMs: 100, StepMs: 1, MemoryStepMB: 128, MinMemoryMB: 128, BillsObservedMemory: true},
		EffectiveDate: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC),
		Source:        source, FetchedAt: fetchedAt,
	}
	flex := pricing.Card{
		Provider: catalog.Azure, Plan: pricing.Flex, Region: "eastus", Arch: catalog.X86_64, Currency: "USD",
		Prices: []pricing.Price{
			{Meter: pricing.GBSecond, SourceID: "b7f1c6e2-3a4d-5e8f-9a0b-1c2d3e4f5a61", Tiers: []pricing.Tier{
				{From: 100_000, USDPerUnit: 0.000026, Quoted: "0.000026 USD per 1 GB Second"},
			}},
			{Meter: pricing.Request, SourceID: "c8a2d7f3-4b5e-5f90-a1b2-2d3e4f5a6b72", Tiers: []pricing.Tier{
				{From: 250_000, USDPerUnit: 0.0000004, Quoted: "0.000004 USD per 10"},
			}},
		},
		FreeGrants:    []pricing.Grant{{Meter: pricing.GBSecond, Units: 100_000}, {Meter: pricing.Request, Units: 250_000}},
		Billing:       pricing.Billing{MinDurationMs: 1000, StepMs: 100},
		EffectiveDate: time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC),
		Source:        source, FetchedAt: fetchedAt,
	}
	consumption.Seal()
	flex.Seal()
	return []pricing.Card{consumption, flex}
}

func TestFetchFollowsEveryPage(t *testing.T) {
	srv, queries := pricesServer(t)
	f := &Fetcher{BaseURL: srv.URL, Client: srv.Client(), Now: func() time.Time { return fetchedAt }}
	got, err := f.Fetch(context.Background(), "eastus")
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	first := srv.URL + "/api/retail/prices?" + wantQuery
	second := srv.URL + "/api/retail/prices?" + wantQuery + "&$skip=100"
	if diff := cmp.Diff(wantCards(first+" "+second), got); diff != "" {
		t.Errorf("cards (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{wantQuery, wantQuery + "&$skip=100"}, *queries); diff != "" {
		t.Errorf("queries sent (-want +got):\n%s", diff)
	}
}

func TestURLUsesTheRealEndpointByDefault(t *testing.T) {
	want := "https://prices.azure.com/api/retail/prices?" + wantQuery
	if got := (&Fetcher{}).URL("eastus"); got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
}

// pager serves pages whose NextPageLink is whatever link returns.
func pager(t *testing.T, link func(srvURL string, n int64) string) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := link(srv.URL, n.Add(1))
		_ = json.NewEncoder(w).Encode(map[string]any{"BillingCurrency": "USD", "Items": []any{}, "NextPageLink": next, "Count": 0})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFetchStopsAPagingLoop(t *testing.T) {
	for _, tc := range []struct {
		name string
		link func(srvURL string, n int64) string
		want string
	}{
		{"link back to the first page", func(u string, _ int64) string {
			return u + "/api/retail/prices?" + wantQuery
		}, "repeats an earlier page"},
		{"two pages pointing at each other", func(u string, n int64) string {
			return fmt.Sprintf("%s/api/retail/prices?%s&$skip=%d", u, wantQuery, 100*(n%2))
		}, "repeats an earlier page"},
		{"endless new pages", func(u string, n int64) string {
			return fmt.Sprintf("%s/api/retail/prices?%s&$skip=%d", u, wantQuery, 100*n)
		}, "more than 5 pages"},
		{"relative link back to the first page", func(string, int64) string {
			return "/api/retail/prices?" + wantQuery
		}, "repeats an earlier page"},
		{"link to another host", func(string, int64) string {
			return "https://attacker.example/api/retail/prices?$skip=100"
		}, "leaves http://127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := pager(t, tc.link)
			f := &Fetcher{BaseURL: srv.URL, Client: srv.Client(), MaxPages: 5}
			_, err := f.Fetch(context.Background(), "eastus")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestFetchFailsOnHTTPErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		page   int // the page that fails
	}{
		{"throttled on the first page", http.StatusTooManyRequests, 1},
		{"throttled on the second page", http.StatusTooManyRequests, 2},
		{"server error", http.StatusInternalServerError, 1},
		{"bad gateway on the second page", http.StatusBadGateway, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := 1
				if r.URL.Query().Get("$skip") != "" {
					n = 2
				}
				if n == tc.page {
					w.Header().Set("Retry-After", "30")
					w.WriteHeader(tc.status)
					_, _ = w.Write([]byte(`{"Error":{"Code":"TooManyRequests","Message":"Rate limit exceeded"}}`))
					return
				}
				_, _ = w.Write(bytes.ReplaceAll(pricelisttest.Fixture(t, "functions-eastus-page1.json"), []byte(realHost), []byte(srv.URL)))
			}))
			defer srv.Close()
			f := &Fetcher{BaseURL: srv.URL, Client: srv.Client()}
			_, err := f.Fetch(context.Background(), "eastus")
			var se *StatusError
			if !errors.As(err, &se) || se.Status != tc.status || se.RetryAfter != "30" {
				t.Fatalf("got %v, want a *StatusError %d with Retry-After", err, tc.status)
			}
			if want := fmt.Sprintf("page %d: GET", tc.page); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		})
	}
}

func TestFetchRefusesABadRegion(t *testing.T) {
	f := &Fetcher{BaseURL: "http://127.0.0.1:1"}
	for _, region := range []string{"", "e", "East US", "eastus' or serviceName eq 'x", "east-us", "EASTUS"} {
		if _, err := f.Fetch(context.Background(), region); !errors.Is(err, ErrRegion) {
			t.Errorf("Fetch(%q) = %v, want ErrRegion", region, err)
		}
	}
}

// pages decodes both saved pages for editing.
func pages(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, name := range []string{"functions-eastus-page1.json", "functions-eastus-page2.json"} {
		var p map[string]any
		if err := json.Unmarshal(pricelisttest.Fixture(t, name), &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// itemOf finds the item of a meter and tier on either page.
func itemOf(t *testing.T, ps []map[string]any, meter string, tier float64) map[string]any {
	t.Helper()
	for _, p := range ps {
		for _, it := range p["Items"].([]any) {
			m := it.(map[string]any)
			if m["meterName"] == meter && m["tierMinimumUnits"] == tier && m["type"] == "Consumption" {
				return m
			}
		}
	}
	t.Fatalf("no item %s at %g", meter, tier)
	return nil
}

func parsePages(t *testing.T, ps []map[string]any) ([]pricing.Card, error) {
	t.Helper()
	body, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(bytes.NewReader(body), "eastus", "saved.json", fetchedAt)
}

func TestParseReadsAnArrayOfPages(t *testing.T) {
	got, err := parsePages(t, pages(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantCards("saved.json"), got); diff != "" {
		t.Errorf("cards (-want +got):\n%s", diff)
	}
}

func TestParseRejectsAChangedShape(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, ps []map[string]any)
		want   string
	}{
		{"price as a string", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "Standard Execution Time", 400000)["retailPrice"] = "abc"
		}, `page 2 Items[0].retailPrice: "abc" is not a number`},
		{"price renamed", func(t *testing.T, ps []map[string]any) {
			it := itemOf(t, ps, "On Demand Total Executions", 25000)
			it["price"] = it["retailPrice"]
			delete(it, "retailPrice")
		}, `page 2 Items[4].retailPrice: missing`},
		{"negative price", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "On Demand Total Executions", 25000)["retailPrice"] = -4e-06
		}, `page 2 Items[4].retailPrice: -0.000004 is negative`},
		{"tier as a string", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "Standard Total Executions", 100000)["tierMinimumUnits"] = "100000"
		}, `page 1 Items[2].tierMinimumUnits: "100000" is not a number`},
		{"zero price in a paid tier", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "On Demand Execution Time", 100000)["retailPrice"] = 0.0
		}, `page 2 Items[2].retailPrice: price 0 from 100000 1 GB Second is not a free-tier row`},
		{"unit of measure changed", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "Standard Execution Time", 0)["unitOfMeasure"] = "1 Hour"
			itemOf(t, ps, "Standard Execution Time", 400000)["unitOfMeasure"] = "1 Hour"
		}, `page 1 Items[0].unitOfMeasure: "1 Hour" is not a count of GB Seconds`},
		{"unit of measure without a count", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "Standard Total Executions", 0)["unitOfMeasure"] = "Executions"
		}, `page 2 Items[1].unitOfMeasure: "Executions" does not start with a count`},
		{"flex executions missing", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "On Demand Total Executions", 0)["meterName"] = "On Demand Executions"
			itemOf(t, ps, "On Demand Total Executions", 25000)["meterName"] = "On Demand Executions"
		}, `plan flex: no request price in the list (meter "On Demand Total Executions"`},
		{"consumption only in euros", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "Standard Execution Time", 0)["currencyCode"] = "EUR"
			itemOf(t, ps, "Standard Execution Time", 400000)["currencyCode"] = "EUR"
		}, `plan consumption: no gb_second price in the list (meter "Standard Execution Time", type Consumption, USD, region eastus)`},
		{"first tier above zero", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "Standard Total Executions", 0)["tierMinimumUnits"] = 10.0
		}, `tierMinimumUnits: the first tier of "Standard Total Executions" starts at 10, not 0`},
		{"two meters for one price", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "Standard Execution Time", 400000)["meterId"] = "00000000-0000-0000-0000-000000000000"
		}, `two meters for plan consumption gb_second`},
		{"conflicting prices for one tier", func(t *testing.T, ps []map[string]any) {
			dup := map[string]any{}
			for k, v := range itemOf(t, ps, "Standard Execution Time", 400000) {
				dup[k] = v
			}
			dup["retailPrice"] = 1.7e-05
			ps[1]["Items"] = append(ps[1]["Items"].([]any), dup)
		}, `gives 0.000016 USD per 1 GB Second for the same tier and date`},
		{"effective date changed", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "On Demand Execution Time", 0)["effectiveStartDate"] = "2024-11-01"
		}, `page 1 Items[4].effectiveStartDate: "2024-11-01" is not an RFC 3339 time`},
		{"meter id missing", func(t *testing.T, ps []map[string]any) {
			delete(itemOf(t, ps, "On Demand Execution Time", 0), "meterId")
		}, `page 1 Items[4].meterId: missing`},
		{"items renamed", func(t *testing.T, ps []map[string]any) {
			ps[1]["Prices"] = ps[1]["Items"]
			delete(ps[1], "Items")
		}, `page 2: Items: missing`},
		{"meter name of another type", func(t *testing.T, ps []map[string]any) {
			itemOf(t, ps, "On Demand Execution Time", 0)["meterName"] = 7
		}, `meterName`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := pages(t)
			tc.change(t, ps)
			cards, err := parsePages(t, ps)
			if err == nil {
				t.Fatalf("got cards %+v, want an error containing %q", cards, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// A newer price for a tier replaces an older one; the same price twice is
// one tier.
func TestParseKeepsTheLatestOfRepeatedTiers(t *testing.T) {
	ps := pages(t)
	old := map[string]any{}
	for k, v := range itemOf(t, ps, "Standard Execution Time", 400000) {
		old[k] = v
	}
	old["retailPrice"] = 2e-05
	old["effectiveStartDate"] = "2016-01-01T00:00:00Z"
	same := map[string]any{}
	for k, v := range itemOf(t, ps, "Standard Total Executions", 100000) {
		same[k] = v
	}
	ps[0]["Items"] = append(ps[0]["Items"].([]any), old, same)
	got, err := parsePages(t, ps)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantCards("saved.json"), got); diff != "" {
		t.Errorf("cards (-want +got):\n%s", diff)
	}
}

// A list that shows no $0 tier for a plan carries the built-in grants.
func TestParseFallsBackToTheBuiltInFreeGrants(t *testing.T) {
	ps := pages(t)
	for _, meter := range []string{"On Demand Execution Time", "On Demand Total Executions"} {
		itemOf(t, ps, meter, 0)["type"] = "DevTestConsumption"
	}
	itemOf(t, ps, "On Demand Execution Time", 100000)["tierMinimumUnits"] = 0.0
	itemOf(t, ps, "On Demand Total Executions", 25000)["tierMinimumUnits"] = 0.0
	got, err := parsePages(t, ps)
	if err != nil {
		t.Fatal(err)
	}
	flex := got[1]
	if diff := cmp.Diff(pricing.FreeGrantsOf(pricing.Flex), flex.FreeGrants); diff != "" {
		t.Errorf("grants (-want +got):\n%s", diff)
	}
	if flex.Prices[0].Tiers[0].From != 0 {
		t.Errorf("first tier from %v, want 0", flex.Prices[0].Tiers[0].From)
	}
}

func TestPlain(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1.6e-05", "0.000016"},
		{"1.6E-05", "0.000016"},
		{"2e-06", "0.000002"},
		{"0.0123", "0.0123"},
		{"0.0", "0.0"},
		{"100000.0", "100000.0"},
		{"2.5E+3", "2500"},
		{"1.25e1", "12.5"},
		{"12e-1", "1.2"},
	} {
		if got := plain(tc.in); got != tc.want {
			t.Errorf("plain(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Flex Consumption is not offered everywhere: a region without its meters
// gets the Consumption card alone, and one without any gets an error.
func TestParseSkipsAPlanTheRegionLacks(t *testing.T) {
	ps := pages(t)
	for _, p := range ps {
		var kept []any
		for _, it := range p["Items"].([]any) {
			if it.(map[string]any)["productName"] != "Flex Consumption" {
				kept = append(kept, it)
			}
		}
		p["Items"] = kept
	}
	got, err := parsePages(t, ps)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantCards("saved.json")[:1], got); diff != "" {
		t.Errorf("cards (-want +got):\n%s", diff)
	}

	body := []byte(`{"BillingCurrency":"USD","Items":[],"NextPageLink":null,"Count":0}`)
	if _, err := Parse(bytes.NewReader(body), "eastus", "saved.json", fetchedAt); err == nil || !strings.Contains(err.Error(), "no Functions meter of any plan for region eastus") {
		t.Errorf("got %v, want an error for an empty list", err)
	}
}

// Without a region, Parse reads the one the response names.
func TestParseReadsTheResponsesRegion(t *testing.T) {
	body, err := json.Marshal(pages(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(bytes.NewReader(body), "", "saved.json", fetchedAt)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantCards("saved.json"), got); diff != "" {
		t.Errorf("cards (-want +got):\n%s", diff)
	}
	ps := pages(t)
	itemOf(t, ps, "Standard Execution Time", 0)["armRegionName"] = "westus"
	body, err = json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(bytes.NewReader(body), "", "saved.json", fetchedAt); err == nil || !strings.Contains(err.Error(), "name 2 regions ([eastus westus])") {
		t.Errorf("got %v, want an error naming both regions", err)
	}
}
