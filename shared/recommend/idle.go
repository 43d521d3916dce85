package recommend

import (
	"fmt"
	"slices"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricing"
)

// fullWeek is how long a function must be seen idle for its removal to be
// high confidence: a weekly job would have called it.
const fullWeek = 7 * 24 * time.Hour

// noFixedCost says why idle deployments save $0.
const noFixedCost = "every plan FISO prices bills per call, so an idle deployment costs $0 (Flex Consumption always-ready instances would bill while idle, but the catalog does not record them)"

// idleFunction recommends removing a function nothing called in the window.
func (r *run) idleFunction(fl *functionLog) {
	fn := fl.fn
	confidence := Medium
	if fl.until.Sub(fl.since) >= fullWeek {
		confidence = High
	}
	action := fmt.Sprintf("Delete function %q and its deployments", fn.Name)
	if fn.ActivePolicy != "" {
		action = fmt.Sprintf("Deactivate policy %q, then delete function %q and its deployments", fn.ActivePolicy, fn.Name)
	}
	ev := fl.evidence()
	ev.Assumptions = []string{noFixedCost}
	if hasPlan(fn, pricing.Flex) {
		ev.Assumptions = append(ev.Assumptions, "a Flex Consumption deployment with always-ready instances bills for them: removing it saves that too")
	}
	r.add(Recommendation{
		Kind: KindRemoveIdle, Function: fn.Name,
		Title:      fmt.Sprintf("Remove %s: no call in %.1f days", fn.Name, fl.days()),
		Action:     action,
		Confidence: confidence,
		Evidence:   ev,
	})
}

// idleDeployments recommends removing deployments that took no attempt
// while the function was called.
func (r *run) idleDeployments(fl *functionLog) {
	fn, pol := fl.fn, fl.pol
	if len(fn.Deployments) < 2 {
		return // the last deployment goes with its function
	}
	idle := 0
	for _, d := range fn.Deployments {
		if fl.sent[d.ID] == 0 {
			idle++
		}
	}
	if idle == 0 {
		return
	}
	if fl.calls < r.opts.MinCalls {
		r.skip(KindRemoveIdle, fn.Name, "", "%d calls in the window, fewer than %d: too few to call %d deployments idle", fl.calls, r.opts.MinCalls, idle)
		return
	}
	changed := fn.UpdatedAt.After(fl.since)
	for _, d := range fn.Deployments {
		if fl.sent[d.ID] > 0 {
			continue
		}
		confidence, why := reach(fn, pol, d)
		ev := fl.evidence()
		ev.Calls = fl.calls
		ev.Assumptions = []string{why, noFixedCost}
		if changed {
			confidence = Low
			ev.Assumptions = append(ev.Assumptions, fmt.Sprintf("the function changed on %s, within the window: the deployment may be newer than the window", fn.UpdatedAt.UTC().Format(time.RFC3339)))
		}
		action := fmt.Sprintf("Remove deployment %q from function %q", d.ID, fn.Name)
		if pol != nil && slices.Contains(pol.Failover, d.Provider) && !hasOther(fn, d) {
			action += fmt.Sprintf(", and %s from the failover of policy %q", d.Provider, pol.Name)
		}
		if confidence == Low {
			action += ", or keep it as a standby"
		}
		r.add(Recommendation{
			Kind: KindRemoveIdle, Function: fn.Name, Deployment: d.ID,
			Title:      fmt.Sprintf("Remove %s/%s: no attempt in %.1f days while the function had %d calls", fn.Name, d.ID, fl.days(), fl.calls),
			Action:     action,
			Confidence: confidence,
			Evidence:   ev,
		})
	}
}

// reach grades removing idle deployment d of fn by whether the routing can
// reach it at all.
func reach(fn catalog.Function, pol *policy.Policy, d catalog.Deployment) (confidence, why string) {
	if pol == nil {
		return Low, "without a policy calls go to the deployments in the order listed: this one is a standby, called when those before it fail"
	}
	if field := pol.Excludes(d); field != "" {
		return High, fmt.Sprintf("policy %q never routes to it: its %s exclude it", pol.Name, field)
	}
	if pol.Strategy != policy.Static {
		return Medium, fmt.Sprintf("policy %q (%s) could route to it but did not", pol.Name, pol.Strategy)
	}
	if def, ok := defaultOf(fn, pol); ok && def.ID == d.ID {
		return Medium, fmt.Sprintf("it is the default of policy %q, yet took no attempt", pol.Name)
	}
	if len(pol.Failover) == 0 || d.Provider == pol.DefaultProvider || slices.Contains(pol.Failover, d.Provider) {
		return Low, fmt.Sprintf("it is a failover of policy %q, called only when the deployments before it fail", pol.Name)
	}
	return High, fmt.Sprintf("policy %q never routes to it: its failover list does not name %s", pol.Name, d.Provider)
}

// hasOther reports whether fn has another deployment on d's provider.
func hasOther(fn catalog.Function, d catalog.Deployment) bool {
	for _, o := range fn.Deployments {
		if o.ID != d.ID && o.Provider == d.Provider {
			return true
		}
	}
	return false
}

func hasPlan(fn catalog.Function, p pricing.Plan) bool {
	for _, d := range fn.Deployments {
		if pricing.Plan(d.Plan) == p {
			return true
		}
	}
	return false
}
