package recommend

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricebook"
)

// defaultOf returns the deployment calls of fn go to first: the static
// policy's default (its default target, else its default provider's first
// allowed deployment), or the first deployment listed without a policy.
func defaultOf(fn catalog.Function, pol *policy.Policy) (catalog.Deployment, bool) {
	if pol == nil {
		if len(fn.Deployments) == 0 {
			return catalog.Deployment{}, false
		}
		return fn.Deployments[0], true
	}
	var first *catalog.Deployment
	for i := range fn.Deployments {
		d := &fn.Deployments[i]
		if d.Provider != pol.DefaultProvider || !pol.Allows(*d) {
			continue
		}
		if pol.DefaultTarget != "" && d.Target == pol.DefaultTarget {
			return *d, true
		}
		if first == nil {
			first = d
		}
	}
	if first == nil {
		return catalog.Deployment{}, false
	}
	return *first, true
}

// moveDefault compares the default deployment with every other one.
func (r *run) moveDefault(fl *functionLog) {
	fn, pol := fl.fn, fl.pol
	if len(fn.Deployments) < 2 {
		return
	}
	if pol != nil && pol.Strategy != policy.Static {
		r.skip(KindMoveDefault, fn.Name, "", "policy %q routes with the %s strategy, which weighs cost itself; move-default applies to static policies", pol.Name, pol.Strategy)
		return
	}
	def, ok := defaultOf(fn, pol)
	if !ok {
		r.skip(KindMoveDefault, fn.Name, "", "policy %q has no allowed deployment on its default provider %s", pol.Name, pol.DefaultProvider)
		return
	}
	defCalls := fl.ran[def.ID]
	if len(defCalls) < r.opts.MinCalls {
		r.skip(KindMoveDefault, fn.Name, def.ID, "the default deployment has %d calls in the window, fewer than %d", len(defCalls), r.opts.MinCalls)
		return
	}
	defCard, why := r.card(pricebook.KeyOf(def))
	if why != "" {
		r.skip(KindMoveDefault, fn.Name, def.ID, "%s", why)
		return
	}
	c0, err := costPerCall(defCard, defCalls, 0, 1)
	if err != nil {
		r.skip(KindMoveDefault, fn.Name, def.ID, "price the default's calls: %s", err.Error())
		return
	}
	defStats := stats(def, "default", defCalls, defCard, c0)
	monthlyCalls := fl.monthly(fl.calls)

	var best *DeploymentStats
	var bestD catalog.Deployment
	for _, d := range fn.Deployments {
		if d.ID == def.ID {
			continue
		}
		if pol != nil {
			if field := pol.Excludes(d); field != "" {
				r.skip(KindMoveDefault, fn.Name, d.ID, "policy %q excludes it (%s)", pol.Name, field)
				continue
			}
		}
		calls := fl.ran[d.ID]
		if len(calls) < r.opts.MinCalls {
			r.skip(KindMoveDefault, fn.Name, d.ID, "%d calls in the window, fewer than %d: no duration evidence to price it with", len(calls), r.opts.MinCalls)
			continue
		}
		card, why := r.card(pricebook.KeyOf(d))
		if why != "" {
			r.skip(KindMoveDefault, fn.Name, d.ID, "%s", why)
			continue
		}
		ci, err := costPerCall(card, calls, 0, 1)
		if err != nil {
			r.skip(KindMoveDefault, fn.Name, d.ID, "price its calls: %s", err.Error())
			continue
		}
		if ci >= c0 {
			continue
		}
		st := stats(d, "alternative", calls, card, ci)
		tol := r.opts.LatencyTolerance
		if s := max(slower(st.MedianMs, defStats.MedianMs), slower(st.P95Ms, defStats.P95Ms)); s > tol {
			r.skip(KindMoveDefault, fn.Name, d.ID, "cheaper by $%.6f a month but slower than the default %s: median %.1f ms vs %.1f ms, p95 %.1f ms vs %.1f ms (tolerance %s)",
				monthlyCalls*(c0-ci), def.ID, st.MedianMs, defStats.MedianMs, st.P95Ms, defStats.P95Ms, pct(tol))
			continue
		}
		if best == nil || ci < best.CostPerCallUSD {
			best, bestD = &st, d
		}
	}
	if best == nil {
		return
	}
	ev := fl.evidence()
	ev.Calls, ev.MonthlyCalls = fl.calls, monthlyCalls
	ev.MonthlyCostNowUSD, ev.MonthlyCostAfterUSD = monthlyCalls*c0, monthlyCalls*best.CostPerCallUSD
	ev.Deployments = []DeploymentStats{defStats, *best}
	ev.Assumptions = []string{"every call of the function goes to the default; each deployment's cost per call is from its own observed durations and memory"}
	if pol != nil && len(pol.Rules) > 0 {
		ev.Assumptions = append(ev.Assumptions, fmt.Sprintf("policy %q has time-window rules that prefer other providers at times; the figures are for the default alone", pol.Name))
	}
	r.add(Recommendation{
		Kind: KindMoveDefault, Function: fn.Name, Deployment: bestD.ID,
		Title: fmt.Sprintf("Route %s to %s by default instead of %s: cheaper at no worse latency (median %.1f ms vs %.1f ms)",
			fn.Name, bestD.ID, def.ID, best.MedianMs, defStats.MedianMs),
		Action:            moveAction(fn, pol, def, bestD),
		MonthlySavingsUSD: ev.MonthlyCostNowUSD - ev.MonthlyCostAfterUSD,
		Confidence:        r.confidence(min(defStats.Calls, best.Calls)),
		Evidence:          ev,
	})
}

// moveAction says how to make deployment to the default of fn: the policy fields to
// set, or the static policy to activate.
func moveAction(fn catalog.Function, pol *policy.Policy, from, to catalog.Deployment) string {
	same := 0
	for _, d := range fn.Deployments {
		if d.Provider == to.Provider {
			same++
		}
	}
	fields := []string{"default_provider: " + string(to.Provider)}
	if same > 1 || (pol != nil && pol.DefaultTarget != "") {
		fields = append(fields, fmt.Sprintf("default_target: %q", to.Target))
	}
	if pol == nil {
		return fmt.Sprintf("Create and activate a static policy for function %q with %s (without a policy calls go to the first deployment listed, %s)",
			fn.Name, strings.Join(fields, ", "), from.ID)
	}
	if len(pol.Failover) > 0 && to.Provider != from.Provider {
		fields = append(fields, "failover: "+providerList(newFailover(pol.Failover, from.Provider, to.Provider)))
	}
	return fmt.Sprintf("In policy %q set %s", pol.Name, strings.Join(fields, ", "))
}

// newFailover is the failover list with the new default provider's place
// taken by the old one, so that the old default stays a failover.
func newFailover(old []catalog.Provider, from, to catalog.Provider) []catalog.Provider {
	out := make([]catalog.Provider, 0, len(old)+1)
	if !slices.Contains(old, to) {
		out = append(out, from)
	}
	for _, p := range old {
		switch p {
		case to:
			out = append(out, from)
		case from:
		default:
			out = append(out, p)
		}
	}
	return slices.Compact(out)
}

func providerList(ps []catalog.Provider) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return "[" + strings.Join(s, ", ") + "]"
}
