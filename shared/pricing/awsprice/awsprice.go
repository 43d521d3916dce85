// Package awsprice turns the AWS Price List bulk offer file for AWS Lambda
// (one region's index.json) into FISO rate cards: one pricing.Lambda card for
// x86_64 and one for arm64, with the list's tiers, the free tier and the
// effective date.
//
// The offer file names its prices by usage type, not by position: duration
// is "Lambda-GB-Second" (x86_64) or "Lambda-GB-Second-ARM" (arm64), requests
// "Request" or "Request-ARM", each carrying the region's prefix outside
// us-east-1 ("EUW2-Lambda-GB-Second"), and each belonging to a group
// ("AWS-Lambda-Duration", "AWS-Lambda-Requests-ARM", ...). Everything else in
// the file — provisioned concurrency, Lambda@Edge, ephemeral storage,
// response streaming, SnapStart, managed instances — has another usage type
// and is ignored. The account-wide free tier is listed too, as $0 rows of
// the usage types "Global-Lambda-GB-Second" and "Global-Request"; where a
// file lacks them the card carries pricing.FreeGrantsOf(pricing.Lambda).
//
// Parsing is strict: a changed shape is an error naming the field, never a
// zero price.
package awsprice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/pricepull"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/pricing/pricelist"
)

// DefaultBaseURL is the origin of the public Price List bulk API.
const DefaultBaseURL = "https://pricing.us-east-1.amazonaws.com"

// DefaultMaxBytes bounds an offer file; Lambda's regional files are well
// under a megabyte.
const DefaultMaxBytes = 32 << 20

// Fetcher reads the current AWS Lambda offer file of a region.
type Fetcher struct {
	// BaseURL is the bulk API's origin; empty means DefaultBaseURL.
	BaseURL string
	// Client sends the request; nil means a client with a two-minute timeout.
	Client *http.Client
	// Now stamps the cards' FetchedAt; nil means time.Now.
	Now func() time.Time
	// MaxBytes bounds the response body; 0 means DefaultMaxBytes.
	MaxBytes int64
}

var _ pricepull.Source = (*Fetcher)(nil)

// URL is where the current offer file of region is published.
func (f *Fetcher) URL(region string) string {
	base := f.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	return strings.TrimRight(base, "/") + "/offers/v1.0/aws/AWSLambda/current/" + region + "/index.json"
}

// Fetch reads the region's offer file and returns its x86_64 and arm64
// Lambda cards, with Source the URL read.
func (f *Fetcher) Fetch(ctx context.Context, region string) ([]pricing.Card, error) {
	if err := checkRegion(region); err != nil {
		return nil, err
	}
	u := f.URL(region)
	body, err := f.get(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("fetch AWS Lambda prices for %s: %w", region, err)
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	cards, err := Parse(bytes.NewReader(body), region, u, now())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", u, err)
	}
	return cards, nil
}

// get reads u with the Fetcher's client and size bound.
func (f *Fetcher) get(ctx context.Context, u string) ([]byte, error) {
	limit := f.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	return pricelist.Get(ctx, pricelist.Client(f.Client, 2*time.Minute), u, u, nil, limit)
}

// StatusError is a response other than 200 OK.
type StatusError = pricelist.StatusError

// checkRegion accepts AWS region names (us-east-1, ap-southeast-2,
// us-gov-west-1), which also keeps the URL path to one segment.
func checkRegion(region string) error {
	parts := strings.Split(region, "-")
	ok := len(parts) >= 3 && len(region) <= 32
	for i, p := range parts {
		if !ok {
			break
		}
		last := i == len(parts)-1
		for _, r := range p {
			if last && (r < '0' || r > '9') || !last && (r < 'a' || r > 'z') {
				ok = false
			}
		}
		ok = ok && p != ""
	}
	if !ok {
		return fmt.Errorf("%w: %q is not an AWS region name (for example us-east-1)", ErrRegion, region)
	}
	return nil
}

// ErrRegion is returned for a region name that cannot be an AWS region.
var ErrRegion = errors.New("invalid region")
