// Package gcpprice turns the Cloud Billing Catalog API's SKUs for Cloud Run
// functions and Cloud Run into FISO rate cards for one region:
// pricing.Gen2 (vCPU-seconds, GiB-seconds, requests) and pricing.Gen1
// (GHz-seconds, GB-seconds, invocations), both x86_64.
//
// The API lists a service's SKUs page by page (GET
// /v1/services/{serviceId}/skus?pageToken=..., key in X-Goog-Api-Key), each with a
// description, a category (usageType "OnDemand" for list prices), the
// regions it serves and a pricing expression: tiered rates in a usage unit
// ("GHz.s", "GiBy.s", "s", "count"), with a base unit and the factor between
// them. The fetcher reads two services:
//
//   - Cloud Run Functions (formerly Cloud Functions, CloudFunctionsServiceID):
//     1st gen "Cloud Run functions (1st Gen) CPU/Memory (Request-based
//     billing)" with "Tier 2" twins for the dearer regions (earlier "CPU
//     Time", "Memory Time"), and "... (1st Gen) Invocations"; 2nd gen "Cloud
//     Run functions CPU/Memory (Request-based billing) in {region}" and
//     "Cloud Run Functions Invocations".
//   - Cloud Run (CloudRunServiceID): "Services CPU/Memory (Request-based
//     billing)" with "Tier 2" twins (earlier "CPU/Memory Allocation Time")
//     and "Requests", used for a 2nd gen meter only where the functions
//     service has none for the region.
//
// A SKU serves a region when its serviceRegions list it ("global" for
// requests); tier 1 and tier 2 regions are told apart that way, not by name.
// Min-instance, idle, instance-based, jobs, worker pools, GPU, network and
// committed-use SKUs are ignored. Prices are converted from the usage unit to
// one meter unit through the base unit (a GHz-second is 10^9 Hz.s, a GiB- or
// 1st-gen GB-second 2^30 By.s). The free tier is a leading $0 rate: it
// becomes a pricing.Grant, and the paid tier keeps its stated start, so a
// card's first tier may start above 0.
//
// The API key is a secret: it is sent only as the key query parameter, and
// Source and every error carry the URL without it.
//
// Parsing is strict: a changed shape is an error naming the field, never a
// zero price.
package gcpprice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/fiso-dev/fiso/shared/pricepull"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/pricing/pricelist"
)

// DefaultBaseURL is the origin of the Cloud Billing Catalog API.
const DefaultBaseURL = "https://cloudbilling.googleapis.com"

// Service IDs in the catalog.
const (
	// CloudFunctionsServiceID is "Cloud Run Functions" (named Cloud Functions
	// until 2024): 1st gen SKUs, and the 2nd gen's own.
	CloudFunctionsServiceID = "29E7-DA93-CA13"
	// CloudRunServiceID is "Cloud Run".
	CloudRunServiceID = "152E-C115-5142"
)

// DefaultPageSize is the largest page the API serves.
const DefaultPageSize = 5000

// DefaultMaxPages bounds how many pages one service may take.
const DefaultMaxPages = 50

// DefaultMaxBytes bounds one page.
const DefaultMaxBytes = 64 << 20

// Fetcher reads the Cloud Run functions and Cloud Run SKUs.
type Fetcher struct {
	// BaseURL is the API's origin; empty means DefaultBaseURL.
	BaseURL string
	// Client sends the requests; nil means a client with a two-minute timeout.
	Client *http.Client
	// Now stamps the cards' FetchedAt; nil means time.Now.
	Now func() time.Time
	// APIKey authenticates to the API. It is a secret: it travels only in the
	// key query parameter and never appears in Source or an error.
	APIKey string
	// FunctionsServiceID and RunServiceID name the services to read; empty
	// means CloudFunctionsServiceID and CloudRunServiceID.
	FunctionsServiceID string
	RunServiceID       string
	// MaxPages bounds the pages of one service; 0 means DefaultMaxPages.
	MaxPages int
	// MaxBytes bounds one page's body; 0 means DefaultMaxBytes.
	MaxBytes int64

	// The catalogue is the same for every region: one pull of several
	// regions reads it once (for catalogTTL).
	mu      sync.Mutex
	catalog map[string]catalogRead
}

// catalogTTL is how long a read of a service's SKUs serves further regions.
const catalogTTL = 10 * time.Minute

type catalogRead struct {
	at   time.Time
	skus []located
	urls []string
}

var _ pricepull.Source = (*Fetcher)(nil)

// ErrNoAPIKey is returned by Fetch when the Fetcher has no API key.
var ErrNoAPIKey = errors.New("no Cloud Billing API key")

// Fetch reads every page of both services and returns the region's Gen2 and
// Gen1 cards, with Source the URLs read (without the key).
func (f *Fetcher) Fetch(ctx context.Context, region string) ([]pricing.Card, error) {
	if err := checkRegion(region); err != nil {
		return nil, err
	}
	if f.APIKey == "" {
		return nil, fmt.Errorf("fetch GCP prices for %s: %w", region, ErrNoAPIKey)
	}
	var (
		all  []located
		urls []string
	)
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	for _, svc := range []string{or(f.FunctionsServiceID, CloudFunctionsServiceID), or(f.RunServiceID, CloudRunServiceID)} {
		skus, read, err := f.cachedService(ctx, svc, now())
		if err != nil {
			return nil, fmt.Errorf("fetch GCP prices for %s: service %s: %w", region, svc, err)
		}
		all = append(all, skus...)
		urls = append(urls, read...)
	}
	cards, err := build(all, region, strings.Join(urls, " "), now())
	if err != nil {
		return nil, fmt.Errorf("read GCP prices for %s: %w", region, err)
	}
	return cards, nil
}

// cachedService is service, reusing a read younger than catalogTTL.
func (f *Fetcher) cachedService(ctx context.Context, id string, now time.Time) ([]located, []string, error) {
	f.mu.Lock()
	c, ok := f.catalog[id]
	f.mu.Unlock()
	if ok && now.Sub(c.at) < catalogTTL {
		return c.skus, c.urls, nil
	}
	skus, urls, err := f.service(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	f.mu.Lock()
	if f.catalog == nil {
		f.catalog = map[string]catalogRead{}
	}
	f.catalog[id] = catalogRead{at: now, skus: skus, urls: urls}
	f.mu.Unlock()
	return skus, urls, nil
}

// service reads every page of one service's SKUs; read are the URLs read,
// without the key.
func (f *Fetcher) service(ctx context.Context, id string) ([]located, []string, error) {
	if id == "" || strings.ContainsAny(id, "/?#%") {
		return nil, nil, fmt.Errorf("service ID %q is not a catalog service ID", id)
	}
	maxPages := f.MaxPages
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}
	var (
		skus []located
		read []string
		seen = map[string]bool{}
	)
	for token := ""; ; {
		if len(read) >= maxPages {
			return nil, nil, fmt.Errorf("more than %d pages; stopped before pageToken %q", maxPages, token)
		}
		public := f.url(id, token)
		body, err := f.get(ctx, public)
		if err != nil {
			return nil, nil, fmt.Errorf("page %d: %w", len(read)+1, err)
		}
		p, err := decodePage(bytes.NewReader(body))
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", public, err)
		}
		skus = append(skus, locate(p, fmt.Sprintf("service %s page %d ", id, len(read)+1))...)
		read = append(read, public)
		token = p.NextPageToken
		if token == "" {
			return skus, read, nil
		}
		if seen[token] {
			return nil, nil, fmt.Errorf("page %d: nextPageToken %q repeats an earlier page", len(read), token)
		}
		seen[token] = true
	}
}

// url is the address of one page. The API key is not in it: it travels in
// the X-Goog-Api-Key header, so that no URL (in an error, a Source, a proxy's
// access log) ever carries it.
func (f *Fetcher) url(service, token string) string {
	q := url.Values{"currencyCode": {"USD"}, "pageSize": {fmt.Sprint(DefaultPageSize)}}
	if token != "" {
		q.Set("pageToken", token)
	}
	return strings.TrimRight(or(f.BaseURL, DefaultBaseURL), "/") + "/v1/services/" + service + "/skus?" + q.Encode()
}

// get fetches u with the API key in its header. The key is scrubbed from
// whatever the server sends back into an error, and from every error's
// message.
func (f *Fetcher) get(ctx context.Context, u string) ([]byte, error) {
	limit := f.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	body, err := pricelist.Get(ctx, pricelist.Client(f.Client, 2*time.Minute), u, u, http.Header{"X-Goog-Api-Key": {f.APIKey}}, limit)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			se.Body = f.scrub(se.Body)
			se.RetryAfter = f.scrub(se.RetryAfter)
		}
		return nil, f.redact(err)
	}
	return body, nil
}

// scrub replaces the API key in s.
func (f *Fetcher) scrub(s string) string {
	if f.APIKey == "" {
		return s
	}
	s = strings.ReplaceAll(s, f.APIKey, "REDACTED")
	return strings.ReplaceAll(s, url.QueryEscape(f.APIKey), "REDACTED")
}

// redact returns err with the API key scrubbed from its message. It still
// unwraps to err's causes for errors.Is, unless a cause's own message holds
// the key.
func (f *Fetcher) redact(err error) error {
	msg := f.scrub(err.Error())
	if msg == err.Error() {
		return err
	}
	var cause error
	for c := errors.Unwrap(err); c != nil; c = errors.Unwrap(c) {
		if f.scrub(c.Error()) == c.Error() {
			cause = c
			break
		}
	}
	return &redactedError{msg: msg, cause: cause}
}

type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// StatusError is a response other than 200 OK. URL carries no key, and the
// key is scrubbed from Body and RetryAfter.
type StatusError = pricelist.StatusError

// ErrRegion is returned for a region name that cannot be a GCP region.
var ErrRegion = errors.New("invalid region")

// checkRegion accepts GCP region names (us-central1, europe-west2,
// northamerica-northeast1).
func checkRegion(region string) error {
	name, loc, ok := strings.Cut(region, "-")
	ok = ok && len(region) <= 40 && name != "" && len(loc) >= 2
	for _, r := range name {
		ok = ok && r >= 'a' && r <= 'z'
	}
	for i, r := range loc {
		ok = ok && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' && i > 0)
	}
	if ok {
		last := loc[len(loc)-1]
		ok = last >= '0' && last <= '9'
	}
	if !ok {
		return fmt.Errorf("%w: %q is not a GCP region name (for example us-central1)", ErrRegion, region)
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
