package recommend

import (
	"fmt"
	"maps"
	"slices"

	"github.com/fiso-dev/fiso/shared/pricebook"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// sizeCalls are the calls at one memory size of deployments sharing a card.
type sizeCalls struct {
	calls       []obs
	deployments []string
}

// rightSize compares, for each deployment, the memory sizes the logs hold
// for its card.
func (r *run) rightSize(fl *functionLog) {
	fn := fl.fn
	families := map[pricing.Key]map[int]*sizeCalls{}
	for _, d := range fn.Deployments {
		key := pricebook.KeyOf(d)
		for _, o := range fl.ran[d.ID] {
			if families[key] == nil {
				families[key] = map[int]*sizeCalls{}
			}
			s := families[key][o.memoryMB]
			if s == nil {
				s = &sizeCalls{}
				families[key][o.memoryMB] = s
			}
			s.calls = append(s.calls, o)
			if !slices.Contains(s.deployments, d.ID) {
				s.deployments = append(s.deployments, d.ID)
			}
		}
	}
	for _, d := range fn.Deployments {
		key := pricebook.KeyOf(d)
		family := families[key]
		if len(family) < 2 {
			continue // one size: the logs cannot say how duration moves with memory
		}
		card, why := r.card(key)
		if why != "" {
			r.skip(KindRightSize, fn.Name, d.ID, "%s", why)
			continue
		}
		if card.Billing.BillsObservedMemory {
			continue // billed for the memory used: there is no size to choose
		}
		current := configuredMB(d)
		calls := fl.ran[d.ID]
		if len(calls) < r.opts.MinCalls {
			r.skip(KindRightSize, fn.Name, d.ID, "%d calls in the window, fewer than %d", len(calls), r.opts.MinCalls)
			continue
		}
		cur := family[current]
		if cur == nil || len(cur.calls) < r.opts.MinCalls {
			n := 0
			if cur != nil {
				n = len(cur.calls)
			}
			r.skip(KindRightSize, fn.Name, d.ID, "%d calls at its configured %d MB, fewer than %d", n, current, r.opts.MinCalls)
			continue
		}
		sizes := make([]SizeStats, 0, len(family))
		var priceErr error
		for _, mb := range slices.Sorted(maps.Keys(family)) {
			s := family[mb]
			cost, err := costPerCall(card, s.calls, 0, 1)
			if err != nil {
				priceErr = fmt.Errorf("price the calls at %d MB: %w", mb, err)
				break
			}
			b := billed(s.calls)
			sizes = append(sizes, SizeStats{
				MemoryMB: mb, Deployments: s.deployments, Calls: len(s.calls),
				MedianBilledMs: quantile(b, 0.5), P95BilledMs: quantile(b, 0.95), CostPerCallUSD: cost,
			})
		}
		if priceErr != nil {
			r.skip(KindRightSize, fn.Name, d.ID, "%s", priceErr.Error())
			continue
		}
		base := sizes[slices.IndexFunc(sizes, func(s SizeStats) bool { return s.MemoryMB == current })]
		best := base
		var rejected *SizeStats
		for _, s := range sizes {
			switch {
			case s.MemoryMB == current || s.CostPerCallUSD >= best.CostPerCallUSD:
			case s.Calls < r.opts.MinCalls:
				r.skip(KindRightSize, fn.Name, d.ID, "%d MB: %d calls, fewer than %d", s.MemoryMB, s.Calls, r.opts.MinCalls)
			case slower(s.MedianBilledMs, base.MedianBilledMs) > r.opts.MemoryTolerance:
				if rejected == nil || s.CostPerCallUSD < rejected.CostPerCallUSD {
					rejected = &s
				}
			default:
				best = s
			}
		}
		if best.MemoryMB == current {
			if rejected != nil {
				r.skip(KindRightSize, fn.Name, d.ID, "%d MB is cheaper per call than %d MB but its calls run longer: median %.1f ms vs %.1f ms (tolerance %s)",
					rejected.MemoryMB, current, rejected.MedianBilledMs, base.MedianBilledMs, pct(r.opts.MemoryTolerance))
			}
			continue
		}
		monthlyCalls := fl.monthly(len(calls))
		ev := fl.evidence()
		ev.Calls, ev.MonthlyCalls = len(calls), monthlyCalls
		ev.MonthlyCostNowUSD, ev.MonthlyCostAfterUSD = monthlyCalls*base.CostPerCallUSD, monthlyCalls*best.CostPerCallUSD
		ev.MemorySizes = sizes
		ev.Assumptions = []string{fmt.Sprintf("calls at %d MB run as the calls observed at that size did (median %.1f ms vs %.1f ms now)", best.MemoryMB, best.MedianBilledMs, base.MedianBilledMs)}
		r.add(Recommendation{
			Kind: KindRightSize, Function: fn.Name, Deployment: d.ID,
			Title: fmt.Sprintf("Run %s/%s with %d MB instead of %d MB: the duration barely changes (median %.1f ms vs %.1f ms)",
				fn.Name, d.ID, best.MemoryMB, current, best.MedianBilledMs, base.MedianBilledMs),
			Action: fmt.Sprintf("Set memory_mb of deployment %q of function %q to %d (now %d), on %s and in the catalog",
				d.ID, fn.Name, best.MemoryMB, current, d.Provider),
			MonthlySavingsUSD: ev.MonthlyCostNowUSD - ev.MonthlyCostAfterUSD,
			Confidence:        r.confidence(min(base.Calls, best.Calls)),
			Evidence:          ev,
		})
	}
}
