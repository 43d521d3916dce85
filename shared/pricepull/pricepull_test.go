package pricepull

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/eventbus"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/store/embedded"
)

// source answers from a script: the cards of each region, or an error.
type source struct {
	cards map[string][]pricing.Card
	err   error
}

func (s source) Fetch(_ context.Context, region string) ([]pricing.Card, error) {
	if s.err != nil {
		return nil, s.err
	}
	return s.cards[region], nil
}

type recorder struct {
	mu     sync.Mutex
	events []eventbus.Event
	err    error
}

// Publish records events, encoding them as a real bus must.
func (r *recorder) Publish(_ context.Context, es ...eventbus.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, es...)
	_, err := eventbus.Encode(es)
	r.err = errors.Join(r.err, err)
	return err
}

func (r *recorder) types() []string {
	var out []string
	for _, e := range r.events {
		out = append(out, e.DetailType)
	}
	return out
}

func defaultCard(t *testing.T, k pricing.Key) pricing.Card {
	t.Helper()
	c, ok := pricing.Find(pricing.Defaults(), k)
	if !ok {
		t.Fatalf("no built-in card %s", k)
	}
	return c
}

var awsEast = pricing.Key{Provider: catalog.AWS, Plan: pricing.Lambda, Region: "us-east-1", Arch: catalog.X86_64}

// pulled is a fetched copy of a built-in card with its first GB-second price
// scaled.
func pulled(t *testing.T, scale float64) pricing.Card {
	c := defaultCard(t, awsEast)
	c.Prices = append([]pricing.Price(nil), c.Prices...)
	for i, p := range c.Prices {
		if p.Meter == pricing.GBSecond {
			tiers := append([]pricing.Tier(nil), p.Tiers...)
			tiers[0].USDPerUnit *= scale
			c.Prices[i].Tiers = tiers
		}
	}
	c.Source, c.FetchedAt, c.Version = "https://pricing.test/offers", time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC), ""
	return c
}

func TestPull(t *testing.T) {
	tests := []struct {
		name     string
		stored   *float64 // scale of a card already in force
		fetched  []pricing.Card
		fetchErr error
		accept   bool
		want     Outcome
		event    string
		inForce  float64 // scale of the card in force afterwards (0: none stored)
		wantErr  bool
	}{
		{"first pull stores", nil, []pricing.Card{pulled(t, 1)}, nil, false, Changed, EventChanged, 1, false},
		{"a first pull 60% off the built-in card is held back", nil, []pricing.Card{pulled(t, 0.4)}, nil, false, Rejected, EventRejected, 0, false},
		{"same content changes nothing", ptr(1.0), []pricing.Card{pulled(t, 1)}, nil, false, Unchanged, "", 1, false},
		{"a 10% rise is applied", ptr(1.0), []pricing.Card{pulled(t, 1.1)}, nil, false, Changed, EventChanged, 1.1, false},
		{"a 60% rise is held back", ptr(1.0), []pricing.Card{pulled(t, 1.6)}, nil, false, Rejected, EventRejected, 1, false},
		{"a 60% rise with --accept", ptr(1.0), []pricing.Card{pulled(t, 1.6)}, nil, true, Changed, EventChanged, 1.6, false},
		{"a zero price is refused", ptr(1.0), []pricing.Card{pulled(t, 0)}, nil, true, Rejected, EventRejected, 1, false},
		{"a failed pull keeps the last good card", ptr(1.0), nil, errors.New("HTTP 503 from the price list"), false, Failed, EventFailed, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := embedded.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ctx := context.Background()
			if tc.stored != nil {
				c := pulled(t, *tc.stored)
				c.Seal()
				if _, err := st.PutRateCard(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			rec := &recorder{}
			p := &Puller{
				Sources: map[catalog.Provider]Source{catalog.AWS: source{cards: map[string][]pricing.Card{"us-east-1": tc.fetched}, err: tc.fetchErr}},
				Store:   st, Events: rec, Accept: tc.accept,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			}
			results, err := p.Pull(ctx, map[catalog.Provider][]string{catalog.AWS: {"us-east-1"}})
			if (err != nil) != tc.wantErr {
				t.Fatalf("Pull error = %v, want error: %v", err, tc.wantErr)
			}
			if len(results) != 1 || results[0].Outcome != tc.want {
				t.Fatalf("results = %+v, want one %s", results, tc.want)
			}
			if rec.err != nil {
				t.Errorf("events do not encode: %v", rec.err)
			}
			if got := rec.types(); (tc.event == "" && len(got) != 0) || (tc.event != "" && (len(got) != 1 || got[0] != tc.event)) {
				t.Errorf("events = %v, want %q", got, tc.event)
			}
			cur, err := st.CurrentRateCards(ctx)
			if err != nil {
				t.Fatal(err)
			}
			base := defaultCard(t, awsEast).Prices
			var basePrice float64
			for _, pr := range base {
				if pr.Meter == pricing.GBSecond {
					basePrice = pr.Tiers[0].USDPerUnit
				}
			}
			if tc.inForce == 0 {
				if len(cur) != 0 {
					t.Errorf("%d cards stored, want none (the built-in card stays in force)", len(cur))
				}
				return
			}
			if len(cur) != 1 {
				t.Fatalf("%d cards in force, want 1", len(cur))
			}
			for _, pr := range cur[0].Prices {
				if pr.Meter == pricing.GBSecond && abs(pr.Tiers[0].USDPerUnit-basePrice*tc.inForce) > 1e-15 {
					t.Errorf("price in force %v, want %v", pr.Tiers[0].USDPerUnit, basePrice*tc.inForce)
				}
			}
		})
	}
}

func TestRegionsToPull(t *testing.T) {
	fns := []catalog.Function{{Deployments: []catalog.Deployment{
		{Provider: catalog.AWS, Region: "sa-east-1"}, {Provider: catalog.GCP, Region: "us-central1"},
	}}}
	got := RegionsToPull(fns, pricing.Defaults())
	has := func(p catalog.Provider, r string) bool {
		for _, x := range got[p] {
			if x == r {
				return true
			}
		}
		return false
	}
	for _, want := range []struct {
		p catalog.Provider
		r string
	}{{catalog.AWS, "sa-east-1"}, {catalog.AWS, "us-east-1"}, {catalog.Azure, "eastus"}, {catalog.GCP, "us-central1"}} {
		if !has(want.p, want.r) {
			t.Errorf("regions %v lack %s %s", got, want.p, want.r)
		}
	}
	n := 0
	for _, r := range got[catalog.GCP] {
		if r == "us-central1" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("us-central1 listed %d times", n)
	}
}

func ptr[T any](v T) *T { return &v }

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}
