// Package route decides, before a call, in which order FISO tries a
// function's deployments. A Strategy turns what is known before the call into
// a Plan; the Router picks the strategy the function's active policy names.
// Cost- and latency-aware strategies plug in as more Strategy values.
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

// NewRouter returns a router that knows the static strategy plus any given.
func NewRouter(more map[policy.Strategy]Strategy) *Router {
	s := map[policy.Strategy]Strategy{policy.Static: Static{}}
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

// Static is the seed design's strategy: the policy's default deployment
// first, then failover.
//
// The default deployment is the one whose target is the policy's
// default_target, else the first deployment on default_provider. After it
// come the deployments of each provider in the policy's failover order, each
// provider's in declared order. The default provider's other deployments come
// where the failover list names that provider, or right after the default
// when it is not named. An empty failover list means every other deployment
// in declared order. Providers left out of a non-empty list are never tried
// (that is how a policy keeps data out of a cloud).
type Static struct{}

// Plan implements Strategy.
func (Static) Plan(req Request) (Plan, error) {
	f, pol := req.Function, req.Policy
	n := len(f.Deployments)
	p := Plan{
		Order: make([]catalog.Deployment, 0, n),
		Decision: invocation.Decision{
			Policy:     pol.Name,
			Strategy:   string(policy.Static),
			Candidates: make([]invocation.Candidate, 0, n),
		},
	}
	used := make([]bool, n)
	add := func(i int, reason string) {
		used[i] = true
		p.Order = append(p.Order, f.Deployments[i])
		p.Decision.Candidates = append(p.Decision.Candidates, candidate(f.Deployments[i], reason))
	}
	addProvider := func(pr catalog.Provider, reason string) {
		for i, d := range f.Deployments {
			if !used[i] && d.Provider == pr {
				add(i, reason)
			}
		}
	}

	primary := -1
	for i, d := range f.Deployments {
		if d.Provider != pol.DefaultProvider {
			continue
		}
		if pol.DefaultTarget != "" && d.Target == pol.DefaultTarget {
			primary = i
			break
		}
		if primary < 0 {
			primary = i
		}
	}
	switch {
	case primary < 0:
		p.Decision.Reason = "the function has no deployment on the policy's default provider " + string(pol.DefaultProvider) + "; failover order only"
	case pol.DefaultTarget != "" && f.Deployments[primary].Target == pol.DefaultTarget:
		add(primary, reasonDefaultTarget)
		p.Decision.Reason = "default target on " + string(pol.DefaultProvider) + ", then failover"
	default:
		add(primary, reasonDefaultProv)
		p.Decision.Reason = "default provider " + string(pol.DefaultProvider) + ", then failover"
	}

	if len(pol.Failover) == 0 {
		for i := range f.Deployments {
			if !used[i] {
				add(i, reasonFailoverImplic)
			}
		}
		return p, nil
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
	return p, nil
}
