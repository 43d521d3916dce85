package pricebook

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// cards is a CardReader over a fixed list that counts its reads.
type cards struct {
	list  []pricing.Card
	err   error
	reads atomic.Int32
}

func (c *cards) CurrentRateCards(context.Context) ([]pricing.Card, error) {
	c.reads.Add(1)
	return c.list, c.err
}

var awsEast = catalog.Deployment{Provider: catalog.AWS, Region: "us-east-1", Target: "f"}

func TestKeyOfFillsDefaults(t *testing.T) {
	tests := []struct {
		d    catalog.Deployment
		want string
	}{
		{awsEast, "aws/lambda/us-east-1/x86_64"},
		{catalog.Deployment{Provider: catalog.AWS, Region: "eu-west-1", Arch: catalog.ARM64}, "aws/lambda/eu-west-1/arm64"},
		{catalog.Deployment{Provider: catalog.Azure, Region: "eastus"}, "azure/consumption/eastus/x86_64"},
		{catalog.Deployment{Provider: catalog.Azure, Region: "eastus", Plan: "flex"}, "azure/flex/eastus/x86_64"},
		{catalog.Deployment{Provider: catalog.GCP, Region: "us-central1"}, "gcp/gen2/us-central1/x86_64"},
	}
	for _, tc := range tests {
		if got := KeyOf(tc.d).String(); got != tc.want {
			t.Errorf("KeyOf(%+v) = %s, want %s", tc.d, got, tc.want)
		}
	}
}

func TestPrice(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	stored, ok := pricing.Find(pricing.Defaults(), KeyOf(awsEast))
	if !ok {
		t.Fatal("no built-in aws us-east-1 card")
	}
	// A pulled card that doubles the request fee replaces the built-in one.
	stored.Prices = append([]pricing.Price(nil), stored.Prices...)
	for i, p := range stored.Prices {
		if p.Meter == pricing.Request {
			stored.Prices[i].Tiers = []pricing.Tier{{USDPerUnit: 0.0000004, Quoted: "0.0000004 USD per Request"}}
		}
	}
	stored.Seal()
	src := &cards{list: []pricing.Card{stored}}
	b := New(src, time.Minute, clock)

	tests := []struct {
		name    string
		d       catalog.Deployment
		u       pricing.Usage
		want    float64
		wantErr string
	}{
		// 100 ms at 128 MB: 0.0125 GB-s at $0.0000166667, plus the pulled $0.0000004 request fee.
		{"stored card wins", awsEast, pricing.Usage{DurationMs: 100}, 0.0125*0.0000166667 + 0.0000004, ""},
		// 1 s on Flex at the default 2,048 MB instance: 2 GB-s at $0.000026 plus $0.0000004.
		{"default memory of the plan", catalog.Deployment{Provider: catalog.Azure, Region: "eastus", Plan: "flex"}, pricing.Usage{DurationMs: 1000}, 2*0.000026 + 0.0000004, ""},
		{"no card for the region", catalog.Deployment{Provider: catalog.AWS, Region: "me-south-1"}, pricing.Usage{DurationMs: 1}, 0, "no rate card for aws/lambda/me-south-1/x86_64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cost, err := b.Price(context.Background(), tc.d, tc.u)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(cost.TotalUSD-tc.want) > 1e-15 {
				t.Errorf("cost = %v, want %v", cost.TotalUSD, tc.want)
			}
		})
	}
	if n := src.reads.Load(); n != 1 {
		t.Errorf("the store was read %d times within the TTL, want once", n)
	}
	now = now.Add(2 * time.Minute)
	if _, err := b.Price(context.Background(), awsEast, pricing.Usage{DurationMs: 1}); err != nil {
		t.Fatal(err)
	}
	if n := src.reads.Load(); n != 2 {
		t.Errorf("reads after the TTL = %d, want 2", n)
	}
}

func TestStoreFailure(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	src := &cards{err: errors.New("throttled")}
	b := New(src, time.Minute, func() time.Time { return now }).WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	// Never read: nothing to fall back on.
	if _, err := b.Price(ctx, awsEast, pricing.Usage{DurationMs: 1}); err == nil || !strings.Contains(err.Error(), "throttled") {
		t.Errorf("err = %v, want the store's error", err)
	}
	// Read once, then failing: the last cards read keep pricing.
	src.err = nil
	if _, err := b.Price(ctx, awsEast, pricing.Usage{DurationMs: 1}); err != nil {
		t.Fatal(err)
	}
	src.err = errors.New("throttled")
	now = now.Add(2 * time.Minute)
	reads := src.reads.Load()
	for i := 0; i < 2; i++ {
		if _, err := b.Price(ctx, awsEast, pricing.Usage{DurationMs: 1}); err != nil {
			t.Fatalf("with the store failing after a good read: %v", err)
		}
	}
	if got := src.reads.Load() - reads; got != 2 {
		t.Errorf("the failing store was tried %d times over 2 calls, want 2 (a stale answer is not cached)", got)
	}
}

func TestDefaultsOnly(t *testing.T) {
	b := New(nil, time.Minute, nil)
	all, err := b.Cards(context.Background())
	if err != nil || len(all) != len(pricing.Defaults()) {
		t.Fatalf("Cards = %d, %v; want the %d built-in cards", len(all), err, len(pricing.Defaults()))
	}
}
