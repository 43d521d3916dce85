// Package pricebook holds the rate cards in force — the latest stored card
// for each provider, plan, region and architecture, over the dated defaults
// built into the binary — and prices invocations with them. It keeps the
// cards in memory for a bounded time, so pricing an invocation reads nothing.
package pricebook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
	logger   *slog.Logger

	// lastGood is the last set read from the store: a failed refresh keeps
	// pricing with it rather than leaving every call unpriced.
	mu       sync.Mutex
	lastGood map[pricing.Key]pricing.Card
}

// New returns a book over src (nil: the built-in defaults only).
func New(src CardReader, ttl time.Duration, now func() time.Time) *Book {
	return &Book{src: src, cards: cache.New[map[pricing.Key]pricing.Card](ttl, 1, now), defaults: pricing.Defaults(), logger: slog.Default()}
}

// WithLogger sets where failed refreshes are reported.
func (b *Book) WithLogger(l *slog.Logger) *Book {
	b.logger = l
	return b
}

// Cards returns every card in force: stored cards, and the built-in
// defaults for keys no stored card covers. When the store cannot be read it
// answers with the last cards it read, if any.
func (b *Book) Cards(ctx context.Context) (map[pricing.Key]pricing.Card, error) {
	cards, err := b.load(ctx)
	if errors.Is(err, errStale) {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.lastGood, nil
	}
	return cards, err
}

func (b *Book) load(ctx context.Context) (map[pricing.Key]pricing.Card, error) {
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
			b.mu.Lock()
			last := b.lastGood
			b.mu.Unlock()
			if last == nil {
				return nil, fmt.Errorf("read rate cards: %w", err)
			}
			// Not cached: the next call tries the store again.
			b.logger.WarnContext(ctx, "rate cards unreadable; pricing with the last cards read", slog.Any("error", err))
			return last, errStale
		}
		for _, c := range stored {
			out[c.KeyOf()] = c
		}
		b.mu.Lock()
		b.lastGood = out
		b.mu.Unlock()
		return out, nil
	})
}

// errStale marks a load answered from the last good cards: the cache must
// not keep it, the caller may use it.
var errStale = errors.New("stale rate cards")

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
		return pricing.Cost{}, fmt.Errorf("%w for %s", pricing.ErrNoCard, key)
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
