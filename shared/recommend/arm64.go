package recommend

import (
	"fmt"
	"math"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/pricebook"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// arm64 prices each x86_64 Lambda deployment's calls on the arm64 card of
// its region.
func (r *run) arm64(fl *functionLog) {
	fn := fl.fn
	for _, d := range fn.Deployments {
		key := pricebook.KeyOf(d)
		if d.Provider != catalog.AWS || key.Arch != catalog.X86_64 {
			continue
		}
		calls := fl.ran[d.ID]
		if len(calls) < r.opts.MinCalls {
			r.skip(KindARM64, fn.Name, d.ID, "%d calls in the window, fewer than %d", len(calls), r.opts.MinCalls)
			continue
		}
		x86Card, why := r.card(key)
		if why != "" {
			r.skip(KindARM64, fn.Name, d.ID, "%s", why)
			continue
		}
		armKey := key
		armKey.Arch = catalog.ARM64
		armCard, why := r.card(armKey)
		if why != "" {
			r.skip(KindARM64, fn.Name, d.ID, "%s", why)
			continue
		}
		now, err := costPerCall(x86Card, calls, 0, 1)
		if err != nil {
			r.skip(KindARM64, fn.Name, d.ID, "price its calls: %s", err.Error())
			continue
		}
		x86 := stats(d, "x86_64", calls, x86Card, now)

		// Durations are taken as unchanged on arm64 unless an arm64
		// deployment of the function says otherwise.
		scale, confidence := 1.0, capConfidence(r.confidence(len(calls)), Medium)
		assumption := "the function runs as long on arm64 (Graviton) as on x86_64: no arm64 deployment of it has enough calls to compare"
		var armStats *DeploymentStats
		if sib, ok := r.armSibling(fl, d); ok {
			sibCalls := fl.ran[sib.ID]
			st := stats(sib, "arm64 evidence", sibCalls, pricing.Card{}, 0)
			st.Card = pricebook.KeyOf(sib).String()
			if sibCard, why := r.card(pricebook.KeyOf(sib)); why == "" {
				// Its cost is evidence only; a card that cannot price it
				// leaves it at 0.
				st.CostPerCallUSD, _ = costPerCall(sibCard, sibCalls, 0, 1)
			}
			armStats = &st
			scale = st.MedianBilledMs / x86.MedianBilledMs
			confidence = r.confidence(min(len(calls), len(sibCalls)))
			if math.Abs(scale-1) > r.opts.ArchTolerance {
				confidence = capConfidence(confidence, Medium)
			}
			assumption = fmt.Sprintf("the function runs %.2f times as long on arm64 as on x86_64: the median billed duration of %s (arm64) over that of %s", scale, sib.ID, d.ID)
		}
		after, err := costPerCall(armCard, calls, 0, scale)
		if err != nil {
			r.skip(KindARM64, fn.Name, d.ID, "price its calls on arm64: %s", err.Error())
			continue
		}
		monthlyCalls := fl.monthly(len(calls))
		if after >= now {
			r.skip(KindARM64, fn.Name, d.ID, "arm64 would cost more: $%.9f a call vs $%.9f (durations × %.2f)", after, now, scale)
			continue
		}
		ev := fl.evidence()
		ev.Calls, ev.MonthlyCalls = len(calls), monthlyCalls
		ev.MonthlyCostNowUSD, ev.MonthlyCostAfterUSD = monthlyCalls*now, monthlyCalls*after
		ev.Deployments = []DeploymentStats{x86}
		if armStats != nil {
			ev.Deployments = append(ev.Deployments, *armStats)
		}
		ev.Assumptions = []string{assumption, "the function's code and dependencies build for arm64"}
		r.add(Recommendation{
			Kind: KindARM64, Function: fn.Name, Deployment: d.ID,
			Title: fmt.Sprintf("Run %s/%s on arm64: the %s arm64 card is cheaper for the same calls", fn.Name, d.ID, d.Region),
			Action: fmt.Sprintf("Set the architecture of Lambda function %s to arm64 and arch of deployment %q of function %q to arm64 in the catalog",
				d.Target, d.ID, fn.Name),
			MonthlySavingsUSD: ev.MonthlyCostNowUSD - ev.MonthlyCostAfterUSD,
			Confidence:        confidence,
			Evidence:          ev,
		})
	}
}

// armSibling is an arm64 Lambda deployment of the function with enough
// calls, the one in d's region first.
func (r *run) armSibling(fl *functionLog, d catalog.Deployment) (catalog.Deployment, bool) {
	var found *catalog.Deployment
	for i := range fl.fn.Deployments {
		s := &fl.fn.Deployments[i]
		if s.Provider != catalog.AWS || s.Arch != catalog.ARM64 || len(fl.ran[s.ID]) < r.opts.MinCalls {
			continue
		}
		if s.Region == d.Region {
			return *s, true
		}
		if found == nil {
			found = s
		}
	}
	if found == nil {
		return catalog.Deployment{}, false
	}
	return *found, true
}
