// Package pricebook holds the rate cards in force — the latest stored card
// for each provider, plan, region and architecture, over the dated defaults
// built into the binary — and prices invocations with them. It keeps the
// cards in memory for a bounded time, so pricing an invocation reads nothing.
package pricebook

import (
	"context"
	"fmt"
	"time"

	"github.com/fiso-dev/fiso/shared/cache"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// CardReader reads the stored rate cards in force.
type CardReader interface {
	CurrentRateCards(ctx context.Context) ([]pricing.Card, error)
}

// DefaultTTL is how long the book trusts its copy of the stored cards; the
// pricing job changes them at most daily.
const DefaultTTL = 5 * time.Minute

// Book prices invocations.
type Book struct {
	src      CardReader
	cards    *cache.TTL[map[pricing.Key]pricing.Card]
	defaults []pricing.Card
}

// New returns a book over src (nil: the built-in defaults only).
func New(src CardReader, ttl time.Duration, now func() time.Time) *Book {
	return &Book{src: src, cards: cache.New[map[pricing.Key]pricing.Card](ttl, 1, now), defaults: pricing.Defaults()}
}

// Cards returns every card in force: stored cards, and the built-in
// defaults for keys no stored card covers.
func (b *Book) Cards(ctx context.Context) (map[pricing.Key]pricing.Card, error) {
	return b.cards.Get(ctx, "", func(ctx context.Context) (map[pricing.Key]pricing.Card, error) {
		out := make(map[pricing.Key]pricing.Card, len(b.defaults))
		for _, c := range b.defaults {
			out[c.KeyOf()] = c
		}
		if b.src == nil {
			return out, nil
		}
		stored, err := b.src.CurrentRateCards(ctx)
		if err != nil {
			return nil, fmt.Errorf("read rate cards: %w", err)
		}
		for _, c := range stored {
			out[c.KeyOf()] = c
		}
		return out, nil
	})
}

// Forget drops the cached cards, so the next call reads the store.
func (b *Book) Forget() { b.cards.Purge() }

// KeyOf is the card key a deployment is priced with.
func KeyOf(d catalog.Deployment) pricing.Key {
	arch := d.Arch
	if arch == "" {
		arch = catalog.X86_64
	}
	plan := pricing.Plan(d.Plan)
	if plan == "" {
		if plans := pricing.PlansOf(d.Provider); len(plans) > 0 {
			plan = plans[0]
		}
	}
	return pricing.Key{Provider: d.Provider, Plan: plan, Region: d.Region, Arch: arch}
}

// DefaultMemoryMB is the memory a deployment that does not state its own is
// priced with: each platform's default for a new function (Flex: the 2,048 MB
// instance size).
func DefaultMemoryMB(p pricing.Plan) int {
	switch p {
	case pricing.Flex:
		return 2048
	case pricing.Gen1, pricing.Gen2:
		return 256
	}
	return 128
}

// Price returns the list-price cost of one invocation of d that used u.
// MemoryMB in u defaults to the deployment's, then to the plan's default.
func (b *Book) Price(ctx context.Context, d catalog.Deployment, u pricing.Usage) (pricing.Cost, error) {
	key := KeyOf(d)
	cards, err := b.Cards(ctx)
	if err != nil {
		return pricing.Cost{}, err
	}
	card, ok := cards[key]
	if !ok {
		return pricing.Cost{}, fmt.Errorf("no rate card for %s", key)
	}
	if u.MemoryMB == 0 {
		u.MemoryMB = d.MemoryMB
	}
	if u.MemoryMB == 0 {
		u.MemoryMB = DefaultMemoryMB(key.Plan)
	}
	cost, err := card.Cost(u)
	if err != nil {
		return pricing.Cost{}, fmt.Errorf("price %s: %w", key, err)
	}
	return cost, nil
}
