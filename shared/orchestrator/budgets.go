package orchestrator

import (
	"context"
	"errors"
	"log/slog"
	"math"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/route"
)

// Budgets holds calls to their budgets (a *budget.Guard).
type Budgets interface {
	Applicable(ctx context.Context, s budget.Subject) ([]budget.Budget, error)
	Reserve(ctx context.Context, id string, budgets []budget.Budget, amountUSD float64) (budget.Hold, error)
	Settle(ctx context.Context, h budget.Hold, actualUSD float64)
}

// applicableBudgets are the budgets the call is held to. Budgets are hard
// limits: when they cannot be read the call is refused (503), not let
// through unmetered.
func (s *Service) applicableBudgets(ctx context.Context, fn catalog.Function, call Call) ([]budget.Budget, error) {
	if s.opts.Budgets == nil {
		return nil, nil
	}
	bs, err := s.opts.Budgets.Applicable(ctx, budget.Subject{Team: call.Team, KeyID: call.KeyID, Function: fn.Name})
	if err != nil {
		s.opts.Logger.LogAttrs(ctx, slog.LevelError, "read budgets", slog.String("function", fn.Name), slog.Any("error", err))
		return nil, fault.Unavailable("the budgets that apply to this call cannot be read; try again shortly")
	}
	return bs, nil
}

// reserve holds the call's cost against its budgets: the most the first
// attempt can cost on any deployment of the plan (an open circuit can skip
// the first): the p95 cost predicted for the call where the deployment's
// model is confident (so that the actual rarely exceeds it), and otherwise,
// while FISO does not yet know how long the function runs there, the list
// price of a call lasting the whole attempt timeout. The surplus is
// released when the call settles. A failover's later attempts are not held.
func (s *Service) reserve(ctx context.Context, id string, budgets []budget.Budget, order []catalog.Deployment, ests map[string]route.Estimate) (budget.Hold, error) {
	if len(budgets) == 0 {
		return budget.Hold{}, nil
	}
	amount := 0.0 // unpriceable: the call is held at nothing and settles what it costs
	for _, d := range order {
		amount = max(amount, s.firstAttemptCost(ctx, d, ests))
	}
	h, err := s.opts.Budgets.Reserve(ctx, id, budgets, amount)
	var ee *budget.ExceededError
	switch {
	case errors.As(err, &ee):
		return budget.Hold{}, err
	case err != nil:
		s.opts.Logger.LogAttrs(ctx, slog.LevelError, "reserve budget", slog.String("invocation_id", id), slog.Any("error", err))
		return budget.Hold{}, fault.Unavailable("the budget counters cannot be updated; try again shortly")
	}
	return h, nil
}

// firstAttemptCost is what reserve holds for an attempt on d (0 when it
// cannot be priced).
func (s *Service) firstAttemptCost(ctx context.Context, d catalog.Deployment, ests map[string]route.Estimate) float64 {
	if e, ok := ests[d.ID]; ok && e.Confident && e.CostP95USD > 0 && !math.IsInf(e.CostP95USD, 0) {
		return e.CostP95USD
	}
	if s.opts.Pricer == nil {
		return 0
	}
	c, err := s.opts.Pricer.Price(ctx, d, pricing.Usage{DurationMs: float64(s.opts.AttemptTimeout.Milliseconds())})
	if err != nil || !(c.TotalUSD > 0) {
		return 0
	}
	return c.TotalUSD
}

// settle replaces the hold by what the call cost. An unpriced call (a
// timeout the platform may bill) settles at least what was reserved.
func (s *Service) settle(ctx context.Context, h budget.Hold, rec invocation.Record) {
	if !h.Held() {
		return
	}
	actual := 0.0
	if rec.CostUSD != nil {
		actual = *rec.CostUSD
	}
	if rec.Unpriced {
		actual = math.Max(actual, h.AmountUSD())
	}
	s.opts.Budgets.Settle(ctx, h, actual)
}

// baseline is what the call would have cost on the policy's static default
// deployment (the seed design's routing; the first declared deployment when
// the policy names no default provider), for the savings report: the actual
// cost when the call was served there, else that deployment's predicted
// cost for this call; the actual cost when nothing predicts it (the call
// counts as saving nothing), as for calls without a policy, which go where
// the seed design sent them. Nil for calls FISO could not price.
func (s *Service) baseline(fn catalog.Function, pol *policy.Policy, ests map[string]route.Estimate, rec invocation.Record) *float64 {
	if rec.CostUSD == nil || rec.Unpriced {
		return nil
	}
	actual := *rec.CostUSD
	if pol == nil {
		return &actual
	}
	var def catalog.Deployment
	if pol.Strategy == policy.Static || pol.DefaultProvider != "" {
		p, err := route.Static{}.Plan(route.Request{Function: fn, Policy: &policy.Policy{Name: pol.Name, DefaultProvider: pol.DefaultProvider, DefaultTarget: pol.DefaultTarget}})
		if err == nil && len(p.Order) > 0 {
			def = p.Order[0]
		}
	} else if len(fn.Deployments) > 0 {
		def = fn.Deployments[0]
	}
	if e, ok := ests[def.ID]; ok && rec.DeploymentID != def.ID && e.CostUSD > 0 && !math.IsInf(e.CostUSD, 0) {
		return &e.CostUSD
	}
	return &actual
}
