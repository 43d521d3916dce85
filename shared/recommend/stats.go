package recommend

import (
	"fmt"
	"math"
	"slices"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/pricebook"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// configuredMB is d's memory, or its plan's default when it states none.
func configuredMB(d catalog.Deployment) int {
	if d.MemoryMB > 0 {
		return d.MemoryMB
	}
	return pricebook.DefaultMemoryMB(pricebook.KeyOf(d).Plan)
}

// card returns the card in force for key, or a reason there is none.
func (r *run) card(key pricing.Key) (pricing.Card, string) {
	c, ok := r.cards[key]
	if !ok {
		return pricing.Card{}, fmt.Sprintf("no rate card in force for %s", key)
	}
	return c, ""
}

// costPerCall is the mean list-price cost of calls on card: each call's
// billing duration times scale, at its own memory (memoryMB 0) or at
// memoryMB.
func costPerCall(card pricing.Card, calls []obs, memoryMB int, scale float64) (float64, error) {
	if len(calls) == 0 {
		return 0, nil
	}
	var sum float64
	for _, o := range calls {
		mb := o.memoryMB
		if memoryMB > 0 {
			mb = memoryMB
		}
		c, err := card.Cost(pricing.Usage{DurationMs: o.billMs * scale, MemoryMB: mb})
		if err != nil {
			return 0, err
		}
		sum += c.TotalUSD
	}
	return sum / float64(len(calls)), nil
}

// quantile is the q-quantile of xs (linear between closest ranks); xs need
// not be sorted and is not changed.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (pos-float64(lo))*(s[hi]-s[lo])
}

func latencies(calls []obs) []float64 {
	out := make([]float64, len(calls))
	for i, o := range calls {
		out[i] = o.latencyMs
	}
	return out
}

func billed(calls []obs) []float64 {
	out := make([]float64, len(calls))
	for i, o := range calls {
		out[i] = o.billMs
	}
	return out
}

// stats describes d's calls, priced on card.
func stats(d catalog.Deployment, role string, calls []obs, card pricing.Card, costPerCall float64) DeploymentStats {
	key := pricebook.KeyOf(d)
	lat := latencies(calls)
	return DeploymentStats{
		ID: d.ID, Provider: d.Provider, Region: d.Region, Plan: key.Plan, Arch: key.Arch, MemoryMB: configuredMB(d),
		Card: card.KeyOf().String(), Role: role, Calls: len(calls),
		MedianMs: quantile(lat, 0.5), P95Ms: quantile(lat, 0.95), MedianBilledMs: quantile(billed(calls), 0.5),
		CostPerCallUSD: costPerCall,
	}
}

// slower says how much slower (as a fraction) got is than base; 0 when it
// is not slower.
func slower(got, base float64) float64 {
	if base <= 0 || got <= base {
		return 0
	}
	return got/base - 1
}

// pct formats a fraction as a whole percent.
func pct(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }
