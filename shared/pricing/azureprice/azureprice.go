// Package azureprice turns the Azure Retail Prices API's Functions meters
// for one region into FISO rate cards: pricing.Consumption and pricing.Flex
// (On Demand), both x86_64.
//
// The API answers GET /api/retail/prices?$filter=... a page of at most 100
// items at a time, with NextPageLink naming the next page; the fetcher
// follows it to the end, refusing a link that repeats, leaves the API's
// origin, or runs past MaxPages. Each item is one tier of one meter:
//
//   - Consumption: product "Functions", meters "Standard Execution Time"
//     (unitOfMeasure "1 GB Second") and "Standard Total Executions"
//     (unitOfMeasure "10": the price is per ten executions).
//   - Flex Consumption: product "Flex Consumption", SKU "On Demand", meters
//     "On Demand Execution Time" and "On Demand Total Executions".
//
// Everything else — Always Ready and Premium meters, savings plans and
// reservations, Dev/Test rates (type other than "Consumption"), other
// currencies and regions — is ignored. tierMinimumUnits counts in the
// unitOfMeasure (100,000 tens of executions is a million executions); cards
// count in single units. A plan with no meter at all in the region (Flex
// Consumption is not everywhere) gets no card. The list shows the monthly free grant as a leading
// $0 tier: it becomes a pricing.Grant, and the paid tiers keep the bounds the
// list gives them, so a card's first tier may start above 0.
//
// Parsing is strict: a changed shape is an error naming the field, never a
// zero price.
package azureprice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/pricepull"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/pricing/pricelist"
)

// DefaultBaseURL is the origin of the public Azure Retail Prices API.
const DefaultBaseURL = "https://prices.azure.com"

// DefaultMaxPages bounds how many pages one fetch reads; a region's
// Functions meters fill a few.
const DefaultMaxPages = 50

// DefaultMaxBytes bounds one page.
const DefaultMaxBytes = 8 << 20

// Fetcher reads a region's Functions prices from the Retail Prices API.
type Fetcher struct {
	// BaseURL is the API's origin; empty means DefaultBaseURL. NextPageLinks
	// must stay on its scheme and host.
	BaseURL string
	// Client sends the requests; nil means a client with a one-minute timeout.
	Client *http.Client
	// Now stamps the cards' FetchedAt; nil means time.Now.
	Now func() time.Time
	// MaxPages bounds the pages one fetch follows; 0 means DefaultMaxPages.
	MaxPages int
	// MaxBytes bounds one page's body; 0 means DefaultMaxBytes.
	MaxBytes int64
}

var _ pricepull.Source = (*Fetcher)(nil)

// Filter is the OData filter a fetch sends for region.
func Filter(region string) string {
	return "serviceName eq 'Functions' and armRegionName eq '" + region + "'"
}

// URL is the first page's address for region. The filter is escaped with
// %20 for spaces and %27 for quotes, and $filter keeps its dollar sign.
func (f *Fetcher) URL(region string) string {
	base := f.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	q := strings.ReplaceAll(url.QueryEscape(Filter(region)), "+", "%20")
	return strings.TrimRight(base, "/") + "/api/retail/prices?$filter=" + q
}

// Fetch reads every page of the region's Functions prices and returns its
// Consumption and Flex cards, with Source the URLs read.
func (f *Fetcher) Fetch(ctx context.Context, region string) ([]pricing.Card, error) {
	if err := checkRegion(region); err != nil {
		return nil, err
	}
	first := f.URL(region)
	origin, err := url.Parse(first)
	if err != nil {
		return nil, fmt.Errorf("fetch Azure Functions prices: base URL: %w", err)
	}
	maxPages := f.MaxPages
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}
	var (
		pages []page
		urls  []string
		seen  = map[string]bool{}
	)
	for next := first; next != ""; {
		n := len(pages) + 1
		if n > maxPages {
			return nil, fmt.Errorf("fetch Azure Functions prices for %s: more than %d pages; stopped before %s", region, maxPages, next)
		}
		next, err = sameOrigin(origin, next)
		if err != nil {
			return nil, fmt.Errorf("fetch Azure Functions prices for %s: page %d: NextPageLink: %w", region, n-1, err)
		}
		if seen[next] {
			return nil, fmt.Errorf("fetch Azure Functions prices for %s: page %d: NextPageLink %s repeats an earlier page", region, n-1, next)
		}
		seen[next] = true
		body, err := f.get(ctx, next)
		if err != nil {
			return nil, fmt.Errorf("fetch Azure Functions prices for %s: page %d: %w", region, n, err)
		}
		p, err := decodePage(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", next, err)
		}
		pages = append(pages, p)
		urls = append(urls, next)
		if p.NextPageLink != nil {
			next = *p.NextPageLink
		} else {
			next = ""
		}
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	cards, err := build(pages, region, strings.Join(urls, " "), now())
	if err != nil {
		return nil, fmt.Errorf("read Azure Functions prices for %s: %w", region, err)
	}
	return cards, nil
}

// sameOrigin resolves a next-page link against the API's origin and refuses
// one on another scheme or host (the API writes its own host with an
// explicit :443).
func sameOrigin(origin *url.URL, link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %w", link, err)
	}
	u = origin.ResolveReference(u)
	if u.Scheme != origin.Scheme || u.Hostname() != origin.Hostname() || port(u) != port(origin) {
		return "", fmt.Errorf("%s leaves %s://%s", link, origin.Scheme, origin.Host)
	}
	return u.String(), nil
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}

// get reads u with the Fetcher's client and size bound.
func (f *Fetcher) get(ctx context.Context, u string) ([]byte, error) {
	limit := f.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	return pricelist.Get(ctx, pricelist.Client(f.Client, time.Minute), u, u, nil, limit)
}

// StatusError is a response other than 200 OK (the API throttles bursts with
// 429).
type StatusError = pricelist.StatusError

// ErrRegion is returned for a region name that cannot be an Azure region.
var ErrRegion = errors.New("invalid region")

// checkRegion accepts Azure region names (eastus, westeurope, uksouth),
// which also keeps the filter's quoted literal intact.
func checkRegion(region string) error {
	ok := len(region) >= 2 && len(region) <= 40 && region[0] >= 'a' && region[0] <= 'z'
	for _, r := range region {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("%w: %q is not an Azure region name (for example eastus)", ErrRegion, region)
	}
	return nil
}
