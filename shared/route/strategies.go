package route

import (
	"fmt"
	"strconv"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/policy"
)

// Every predicting strategy below orders every deployment the policy allows
// (after the cost cap), best first, and records each candidate's predicted
// figures and Score: the candidate's standing on the strategy's objective
// normalised across this call's candidates, in [0, 1], 1 the best (cost for
// cheapest, p95 for fastest, the weighted score for weighted; 0 when the
// estimate lacks that figure; no Score without an estimate). The order is
// by class first (cheapest: meets the SLO, then misses it; then the
// unranked; then the down), so a Score compares candidates of one class.
//
// Predictions may be partial. A latency (LatencyP95Ms, LatencyMs) that is 0
// or less, NaN or infinite is not a prediction, nor is a cost (CostUSD) that
// is negative, NaN or infinite (an unpriced deployment); a deployment absent
// from Request.Estimates has neither and is unknown. All three try an
// unknown deployment after those they rank, default provider first, then in
// declared order; cheapest and fastest do the same with one that lacks the
// figure they rank by, weighted scores a missing latency or cost as the
// worst. A deployment predicted down (Reliability under DownReliability) is
// tried last by all three, as a last resort. The policy's default provider
// and target only break ties (after the strategy's second figure: p95 for
// cheapest, cost for fastest), before the declared order.

// Cheapest routes to the least predicted cost (Estimate.CostUSD) among the
// deployments whose predicted p95 meets the policy's SLOP95Ms (0: all do);
// ties go to the lower p95, then the default, then the declared order.
// Unpriced deployments that meet the SLO follow by ascending p95, then those
// that miss the SLO by ascending p95. When none meets it the plan is fastest
// first and the reason says that no deployment is predicted to meet the SLO.
type Cheapest struct{}

// Plan implements Strategy.
func (Cheapest) Plan(req Request) (Plan, error) { return plan(req, kindCheapest) }

// Fastest routes to the least predicted p95 latency among the deployments the
// cost cap leaves (the cap applies to every strategy); ties go to the lower
// predicted cost, then the default, then the declared order.
type Fastest struct{}

// Plan implements Strategy.
func (Fastest) Plan(req Request) (Plan, error) { return plan(req, kindFastest) }

// Weighted ranks by the policy's weights (DefaultWeights when unset):
//
//	score = (w.Latency·norm(p95, lower better) + w.Cost·norm(cost, lower better)
//	      + w.Reliability·norm(reliability) + w.Affinity·norm(-distance)) / Σw
//
// where norm is min-max across this call's estimated candidates (1 the best,
// 0 the worst; all-equal values give everyone 1), so the score is in [0, 1]
// and does not change when every cost (or latency) is scaled. An unknown
// distance scores 0.5 on affinity, the middle: a caller region FISO cannot
// place neither helps nor hurts a deployment. Descending score; ties go to
// the default, then the declared order.
type Weighted struct{}

// Plan implements Strategy.
func (Weighted) Plan(req Request) (Plan, error) { return plan(req, kindWeighted) }

// Split is an A/B experiment: it draws r from Request.Rand and routes with
// the policy's Split.A when r < Split.Percent/100 (arm "a"), else with
// Split.B (arm "b"); without Rand it takes arm a. The arm's plan stands as
// that strategy made it, exploration included (a learning arm draws again
// for it). The decision records the experiment as Policy (the policy's
// name), Arm ("a" or "b") and Strategy (the arm's strategy, e.g.
// "cheapest", never "split"), and its reason starts with the arm.
type Split struct {
	// Arms are the strategies arms route with, by name; nil: the built-ins.
	Arms map[policy.Strategy]Strategy
}

// Plan implements Strategy.
func (s Split) Plan(req Request) (Plan, error) {
	if req.Policy == nil {
		return Plan{}, errNoPolicy
	}
	cfg := req.Policy.Split
	if cfg == nil {
		return Plan{}, fmt.Errorf("policy %q has the split strategy but no split configuration", req.Policy.Name)
	}
	arm, name, share := "a", cfg.A, cfg.Percent
	if req.Rand != nil && req.Rand() >= cfg.Percent/100 {
		arm, name, share = "b", cfg.B, 100-cfg.Percent
	}
	st, err := s.arm(name)
	if err != nil {
		return Plan{}, fmt.Errorf("split arm %s: %w", arm, err)
	}
	p, err := st.Plan(req)
	if err != nil {
		return Plan{}, fmt.Errorf("split arm %s (%s): %w", arm, name, err)
	}
	p.Decision.Policy = req.Policy.Name
	p.Decision.Strategy = string(name)
	p.Decision.Arm = arm
	p.Decision.Reason = "split arm " + arm + " (" + string(name) + ", " + strconv.FormatFloat(share, 'g', -1, 64) + "% of calls): " + p.Decision.Reason
	return p, nil
}

func (s Split) arm(name policy.Strategy) (Strategy, error) {
	if name == policy.Split {
		return nil, fmt.Errorf("a split cannot nest a split")
	}
	if st, ok := s.Arms[name]; ok {
		return st, nil
	}
	switch name {
	case policy.Static:
		return Static{}, nil
	case policy.Cheapest:
		return Cheapest{}, nil
	case policy.Fastest:
		return Fastest{}, nil
	case policy.Weighted:
		return Weighted{}, nil
	}
	return nil, fmt.Errorf("strategy %q is not available", name)
}

// Static is the seed design's strategy: the policy's default deployment
// first, then failover.
//
// The default deployment is the one whose target is the policy's
// default_target, else the first deployment on default_provider. After it
// come the deployments of each provider in the policy's failover order, each
// provider's in declared order. The default provider's other deployments come
// where the failover list names that provider, or right after the default
// when it is not named. An empty failover list means every other deployment
// in declared order. Providers left out of a non-empty list are never tried.
//
// The policy's rules apply as to every strategy: only the deployments
// residency allows take part, those predicted over the cost cap are left out
// (static itself reads no estimates, and fills their figures when given),
// and an active time-window rule moves its provider first. Static never
// explores.
type Static struct{}

// Plan implements Strategy.
func (Static) Plan(req Request) (Plan, error) {
	pol := req.Policy
	if pol == nil {
		return Plan{}, errNoPolicy
	}
	var in, out [smallN]cand
	st := planState{req: req, pol: pol, kind: kindStatic}
	all, excluded := gather(req, pol, in[:0])
	st.excluded = excluded
	if len(all) == 0 && excluded > 0 {
		return Plan{}, residencyError(req, pol)
	}
	order := out[:0]
	if len(all) > smallN {
		order = make([]cand, 0, len(all))
	}
	order, st.static = staticOrder(pol, all, order)
	var err error
	if st.cs, st.capped, err = capCost(order, pol.CostCapUSD); err != nil {
		return Plan{}, err
	}
	if len(st.cs) > 0 {
		st.top = st.cs[0]
	}
	st.rule = applyRule(st.cs, pol, req)
	return st.finish(), nil
}

// staticOrder appends to out the allowed candidates in static order and says
// why the first is first.
func staticOrder(pol *policy.Policy, in, out []cand) ([]cand, string) {
	add := func(i int, reason string) {
		in[i].used = true
		in[i].reason = reason
		out = append(out, in[i])
	}
	addProvider := func(pr catalog.Provider, reason string) {
		for i := range in {
			if !in[i].used && in[i].d.Provider == pr {
				add(i, reason)
			}
		}
	}

	var why string
	primary := -1
	for i := range in {
		if in[i].rank == rankOther {
			continue
		}
		if in[i].rank == rankTarget {
			primary = i
			break
		}
		if primary < 0 {
			primary = i
		}
	}
	switch {
	case primary < 0:
		why = "the function has no allowed deployment on the policy's default provider " + string(pol.DefaultProvider) + "; failover order only"
	case in[primary].rank == rankTarget:
		add(primary, reasonDefaultTarget)
		why = "default target on " + string(pol.DefaultProvider) + ", then failover"
	default:
		add(primary, reasonDefaultProv)
		why = "default provider " + string(pol.DefaultProvider) + ", then failover"
	}

	if len(pol.Failover) == 0 {
		for i := range in {
			if !in[i].used {
				add(i, reasonFailoverImplic)
			}
		}
		return out, why
	}
	named := false
	for _, fp := range pol.Failover {
		named = named || fp == pol.DefaultProvider
	}
	if !named {
		addProvider(pol.DefaultProvider, reasonSameProvider)
	}
	for _, fp := range pol.Failover {
		addProvider(fp, reasonFailover)
	}
	return out, why
}
