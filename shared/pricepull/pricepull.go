// Package pricepull is the pricing job: it pulls rate cards from each
// provider's price list, checks them, stores the ones that changed as new
// versions and announces every change. A failed or absurd pull never
// replaces the card in force: the last good card (or the built-in default)
// keeps pricing invocations, and the failure is announced instead.
package pricepull

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/eventbus"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// Source fetches a provider's cards for one region.
type Source interface {
	Fetch(ctx context.Context, region string) ([]pricing.Card, error)
}

// Store keeps versioned cards.
type Store interface {
	PutRateCard(ctx context.Context, c pricing.Card) (bool, error)
	CurrentRateCards(ctx context.Context) ([]pricing.Card, error)
}

// Publisher announces events.
type Publisher interface {
	Publish(ctx context.Context, events ...eventbus.Event) error
}

// Event detail types (EventBridge detail-type), documented in the README.
const (
	EventChanged  = "Rate Card Changed"
	EventRejected = "Rate Card Rejected"
	EventFailed   = "Rate Card Pull Failed"
)

// Detail is the JSON detail of every pricing event.
type Detail struct {
	Key        string           `json:"key,omitempty"`
	Provider   catalog.Provider `json:"provider"`
	Region     string           `json:"region"`
	OldVersion string           `json:"old_version,omitempty"`
	NewVersion string           `json:"new_version,omitempty"`
	Changes    []pricing.Change `json:"changes,omitempty"`
	Reason     string           `json:"reason,omitempty"`
	Source     string           `json:"source,omitempty"`
	At         time.Time        `json:"at"`
}

// Puller runs pulls.
type Puller struct {
	Sources map[catalog.Provider]Source
	Store   Store
	Events  Publisher
	// Accept applies cards even when a price moved by more than half
	// (pricing.Compare's Absurd), for a price change an operator has checked.
	Accept bool
	Now    func() time.Time
	Logger *slog.Logger
}

// Outcome of one card.
type Outcome string

// Outcomes.
const (
	Changed   Outcome = "changed"
	Unchanged Outcome = "unchanged"
	Rejected  Outcome = "rejected"
	Failed    Outcome = "failed"
)

// Result is what happened to one card (or, for Failed, one provider and region).
type Result struct {
	Provider catalog.Provider `json:"provider"`
	Region   string           `json:"region"`
	Key      string           `json:"key,omitempty"`
	Outcome  Outcome          `json:"outcome"`
	Version  string           `json:"version,omitempty"`
	Reason   string           `json:"reason,omitempty"`
}

// Pull pulls every provider's cards for the given regions. It returns an
// error only when no pull succeeded at all (or the store failed), the case
// a scheduler should record as a failed run; partial failures are in the
// results and announced.
func (p *Puller) Pull(ctx context.Context, regions map[catalog.Provider][]string) ([]Result, error) {
	now := p.now()
	current, err := p.Store.CurrentRateCards(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the cards in force: %w", err)
	}
	stored := make(map[pricing.Key]pricing.Card, len(current))
	for _, c := range current {
		stored[c.KeyOf()] = c
	}
	var results []Result
	var events []eventbus.Event
	// Announce whatever happened, even when a store failure ends the run.
	defer func() {
		if len(events) > 0 && p.Events != nil {
			if err := p.Events.Publish(ctx, events...); err != nil {
				p.log().Error("announce rate card events", slog.Any("error", err))
			}
		}
	}()
	pulled := 0
	for _, provider := range catalog.Providers() {
		src, ok := p.Sources[provider]
		if !ok {
			continue
		}
		for _, region := range regions[provider] {
			cards, err := src.Fetch(ctx, region)
			if err != nil {
				p.log().Warn("rate card pull failed", slog.String("provider", string(provider)), slog.String("region", region), slog.Any("error", err))
				results = append(results, Result{Provider: provider, Region: region, Outcome: Failed, Reason: err.Error()})
				events = append(events, eventbus.Event{DetailType: EventFailed, Detail: Detail{Provider: provider, Region: region, Reason: err.Error(), At: now}})
				continue
			}
			pulled++
			for _, c := range cards {
				r, ev, err := p.apply(ctx, c, stored, now)
				if err != nil {
					return results, err
				}
				results = append(results, r)
				if ev != nil {
					events = append(events, *ev)
				}
			}
		}
	}
	if pulled == 0 && len(results) > 0 {
		return results, errors.New("every rate card pull failed; the cards in force stay")
	}
	return results, nil
}

// apply checks one fetched card against the one in force — the stored
// card, else the built-in default, which prices calls until a pull replaces
// it — and stores it when it is valid, new, and not absurdly different.
func (p *Puller) apply(ctx context.Context, c pricing.Card, stored map[pricing.Key]pricing.Card, now time.Time) (Result, *eventbus.Event, error) {
	c.Seal()
	key := c.KeyOf()
	r := Result{Provider: c.Provider, Region: c.Region, Key: key.String(), Version: c.Version}
	d := Detail{Key: key.String(), Provider: c.Provider, Region: c.Region, NewVersion: c.Version, Source: c.Source, At: now}
	old, inStore := stored[key]
	inForce := inStore
	if !inStore {
		old, inForce = pricing.Find(pricing.Defaults(), key)
	}
	if inForce {
		d.OldVersion = old.Version
	}
	if err := c.Validate(); err != nil {
		r.Outcome, r.Reason = Rejected, "invalid: "+err.Error()
		d.Reason = r.Reason
		return r, &eventbus.Event{DetailType: EventRejected, Detail: d}, nil
	}
	if inStore && old.Version == c.Version {
		r.Outcome = Unchanged
		return r, nil, nil
	}
	if inForce {
		d.Changes = pricing.Compare(old, c)
		if pricing.AnyAbsurd(d.Changes) && !p.Accept {
			r.Outcome, r.Reason = Rejected, "a price moved by more than 50% against the card in force; apply it with --accept (FISO_PRICING_ACCEPT=true) once checked"
			d.Reason = r.Reason
			return r, &eventbus.Event{DetailType: EventRejected, Detail: d}, nil
		}
	}
	changed, err := p.Store.PutRateCard(ctx, c)
	if err != nil {
		return r, nil, fmt.Errorf("store rate card %s: %w", key, err)
	}
	if !changed {
		r.Outcome = Unchanged
		return r, nil, nil
	}
	stored[key] = c
	r.Outcome = Changed
	return r, &eventbus.Event{DetailType: EventChanged, Detail: d}, nil
}

func (p *Puller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Puller) log() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}

// RegionsToPull are the regions FISO needs prices for: every region a
// deployment runs in, and every region of the built-in cards.
func RegionsToPull(functions []catalog.Function, builtIn []pricing.Card) map[catalog.Provider][]string {
	out := map[catalog.Provider][]string{}
	add := func(p catalog.Provider, region string) {
		if !slices.Contains(out[p], region) {
			out[p] = append(out[p], region)
		}
	}
	for _, c := range builtIn {
		add(c.Provider, c.Region)
	}
	for _, f := range functions {
		for _, d := range f.Deployments {
			add(d.Provider, d.Region)
		}
	}
	for p := range out {
		slices.Sort(out[p])
	}
	return out
}
