// Package route decides, before a call, in which order FISO tries a
// function's deployments. A Strategy turns what is known before the call (the
// policy, the clock, predictions) into a Plan: an ordered failover list with
// the reasons; the Router picks the strategy the function's active policy
// names.
//
// Every built-in strategy applies the policy's cross-cutting rules, in this
// order: residency (AllowedProviders, AllowedRegions) removes deployments
// entirely; the cost cap removes those predicted to cost more than
// CostCapUSD; the strategy orders what is left; an active time-window rule
// moves its provider's deployments to the front; a learning strategy
// (cheapest, fastest, weighted) may then explore. A plan whose rules leave
// nothing to try fails with ErrNoCandidate.
//
// Planning is on the request path: it allocates a handful of slices per
// call, no maps, and formats the decision's reason once.
package route

import (
	"fmt"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/policy"
)

// Request is what a strategy knows before the call.
type Request struct {
	Function catalog.Function
	// Policy is the function's active policy; nil when it has none.
	Policy       *policy.Policy
	Now          time.Time
	UserRegion   string
	PayloadBytes int
	// Estimates are the predictions for each deployment, by deployment ID,
	// for the strategies that weigh them (all but static, which reads only
	// the cost, for the cost cap). A deployment without one is unknown; a
	// latency of 0 or a NaN cost in one is not predicted (see Cheapest).
	Estimates map[string]Estimate
	// Rand draws uniformly from [0, 1) for splits and exploration; nil
	// draws nothing (arm a, no exploration), which keeps tests exact.
	Rand func() float64
}

// Estimate is what FISO expects of one deployment for this call.
type Estimate struct {
	// LatencyMs is the predicted median round trip, LatencyP95Ms its 95th
	// percentile.
	LatencyMs    float64
	LatencyP95Ms float64
	// ColdStartRisk is the probability that this call starts a new instance.
	ColdStartRisk float64
	// CostUSD and CostP95USD are the list-price cost at those durations.
	CostUSD    float64
	CostP95USD float64
	// Reliability is the recent share of calls that answered (1 when unknown).
	Reliability float64
	// DistanceKm is from the caller's region to the deployment's; negative
	// when unknown.
	DistanceKm float64
	// Samples is how many calls the estimate rests on: those the
	// deployment's model learned from, or without a model the calls seen
	// lately (exploration goes to the fewest); Confident says a trusted
	// model made the estimate.
	Samples   int
	Confident bool
}

// Plan is the order in which to try deployments, with the reasons.
type Plan struct {
	Order    []catalog.Deployment
	Decision invocation.Decision
}

// Strategy orders a function's deployments for one call.
type Strategy interface {
	Plan(req Request) (Plan, error)
}

// Router dispatches to the strategy the active policy names.
type Router struct {
	strategies map[policy.Strategy]Strategy
}

// NewRouter returns a router that knows the built-in strategies (static,
// cheapest, fastest, weighted, split) plus any given, which replace built-ins
// of the same name. A split's arms use the router's strategies, replacements
// included.
func NewRouter(more map[policy.Strategy]Strategy) *Router {
	s := map[policy.Strategy]Strategy{
		policy.Static:   Static{},
		policy.Cheapest: Cheapest{},
		policy.Fastest:  Fastest{},
		policy.Weighted: Weighted{},
	}
	s[policy.Split] = Split{Arms: s}
	for k, v := range more {
		s[k] = v
	}
	return &Router{strategies: s}
}

// Plan plans with the policy's strategy, or the declared order without a policy.
func (r *Router) Plan(req Request) (Plan, error) {
	if req.Policy == nil {
		return declaredOrder(req.Function), nil
	}
	s, ok := r.strategies[req.Policy.Strategy]
	if !ok {
		return Plan{}, fmt.Errorf("plan %q: policy %q names strategy %q, which this build does not have", req.Function.Name, req.Policy.Name, req.Policy.Strategy)
	}
	p, err := s.Plan(req)
	if err != nil {
		return Plan{}, fmt.Errorf("plan %q with policy %q: %w", req.Function.Name, req.Policy.Name, err)
	}
	return p, nil
}

// Reasons recorded on candidates. Constants, so planning does not format strings.
const (
	reasonDeclared       = "declared order (no active policy)"
	reasonDefaultTarget  = "policy default target"
	reasonDefaultProv    = "policy default provider"
	reasonSameProvider   = "failover: another deployment of the default provider"
	reasonFailover       = "failover order"
	reasonFailoverImplic = "failover: remaining deployments in declared order"
)

func declaredOrder(f catalog.Function) Plan {
	p := Plan{
		Order: f.Deployments,
		Decision: invocation.Decision{
			Strategy:   "declared",
			Reason:     "function has no active policy: deployments in declared order",
			Candidates: make([]invocation.Candidate, 0, len(f.Deployments)),
		},
	}
	for _, d := range f.Deployments {
		p.Decision.Candidates = append(p.Decision.Candidates, candidate(d, reasonDeclared))
	}
	return p
}

func candidate(d catalog.Deployment, reason string) invocation.Candidate {
	return invocation.Candidate{DeploymentID: d.ID, Provider: d.Provider, Region: d.Region, Reason: reason}
}
