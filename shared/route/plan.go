package route

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/policy"
)

// ErrNoCandidate is wrapped by a plan error when the policy's hard rules
// leave no deployment to try: residency excludes every deployment, or every
// remaining one is predicted to cost more than the cost cap. The error's text
// says which rule excluded which deployments. It is also a
// fault.ErrConflict: the call is well-formed, the policy and the predictions
// forbid it.
var ErrNoCandidate = fmt.Errorf("no candidate deployment: %w", fault.ErrConflict)

var errNoPolicy = errors.New("the strategy needs a policy")

// Reasons recorded on candidates by the predicting strategies. Constants, so
// planning does not format strings per candidate.
const (
	reasonMeetsSLO        = "meets the SLO: by predicted cost"
	reasonByCost          = "by predicted cost"
	reasonMissesSLO       = "misses the SLO: by predicted p95"
	reasonUnpriced        = "meets the SLO but has no cost prediction: after the priced, by predicted p95"
	reasonInfeasible      = "SLO infeasible for all candidates: by predicted p95"
	reasonByP95           = "by predicted p95"
	reasonByScore         = "by weighted score"
	reasonUnknown         = "not enough prediction to rank: after the ranked deployments, default provider then declared order"
	reasonWeightedUnknown = "missing latency or cost prediction: scored the worst on that figure"
	reasonDown            = "predicted down (reliability under 0.5): last resort"
	reasonExplored        = "exploration: fewest samples among the unconfident candidates"
	// costUnknownNote ends the reason of a candidate kept under a cost cap
	// because nothing predicts its cost.
	costUnknownNote  = "; cost unknown: kept despite the cost cap"
	reasonRulePrefix = "time-window rule's provider first; "
)

// Classes order candidates before the strategy's keys: a strategy's first
// choices, cheapest's unpriced ones that meet the SLO, its second choices
// (cheapest: those missing the SLO), the deployments it lacks the
// predictions to place, and those predicted down.
const (
	classFirst uint8 = iota
	classUnpriced
	classSecond
	classUnknown
	classDown
)

// Tie ranks: the policy's default target, then its default provider's other
// deployments, then the rest. Strategies other than static use the default
// only to break ties.
const (
	rankTarget uint8 = iota
	rankProvider
	rankOther
)

// DownReliability is the reliability (share of recent calls that answered)
// under which a deployment is predicted down: the predicting strategies try
// it only after every other deployment, and never explore it. It stays in the
// plan as a last resort.
const DownReliability = 0.5

// smallN covers most functions' deployments, so the working set of a plan
// lives on the stack.
const smallN = 8

// cand is one allowed deployment while a plan is made.
type cand struct {
	d     *catalog.Deployment
	idx   int // declared position
	est   Estimate
	has   bool // an estimate was given
	lat   bool // est has a usable p95 (and median) latency
	cost  bool // est has a usable cost
	rank  uint8
	class uint8
	used  bool
	// k1 and k2 are the strategy's sort keys after class, ascending.
	k1, k2 float64
	score  float64
	reason string
}

func (c *cand) down() bool { return c.has && c.est.Reliability < DownReliability }

func (c *cand) samples() int {
	if !c.has {
		return 0
	}
	return c.est.Samples
}

func (c *cand) confident() bool { return c.has && c.est.Confident }

// compareCands orders by class, the strategy's keys, the tie rank and the
// declared position, which makes the order total.
func compareCands(a, b cand) int {
	if c := cmp.Compare(a.class, b.class); c != 0 {
		return c
	}
	if c := cmp.Compare(a.k1, b.k1); c != 0 {
		return c
	}
	if c := cmp.Compare(a.k2, b.k2); c != 0 {
		return c
	}
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	return cmp.Compare(a.idx, b.idx)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// setEstimate fills what c's estimate can be ranked on. A latency of 0 or less,
// NaN or infinite, is no prediction (nothing answers in no time), nor is a
// NaN, infinite or negative cost (a deployment that cannot be priced); a
// reliability that is not a number counts as 1, as does none.
func (c *cand) setEstimate(e Estimate, ok bool) {
	c.est, c.has = e, ok
	if !ok {
		return
	}
	c.lat = finite(e.LatencyP95Ms) && e.LatencyP95Ms > 0 && finite(e.LatencyMs)
	c.cost = finite(e.CostUSD) && e.CostUSD >= 0
	if !finite(c.est.Reliability) {
		c.est.Reliability = 1
	}
}

func tieRank(pol *policy.Policy, d *catalog.Deployment) uint8 {
	switch {
	case pol.DefaultProvider == "" || d.Provider != pol.DefaultProvider:
		return rankOther
	case pol.DefaultTarget != "" && d.Target == pol.DefaultTarget:
		return rankTarget
	}
	return rankProvider
}

// gather appends to cs the deployments the policy's residency rules allow,
// in declared order, with their estimates, and counts those left out.
func gather(req Request, pol *policy.Policy, cs []cand) ([]cand, int) {
	excluded := 0
	for i := range req.Function.Deployments {
		d := &req.Function.Deployments[i]
		if !pol.Allows(*d) {
			excluded++
			continue
		}
		c := cand{d: d, idx: i, rank: tieRank(pol, d)}
		e, ok := req.Estimates[d.ID]
		c.setEstimate(e, ok)
		cs = append(cs, c)
	}
	return cs, excluded
}

// residencyError says which residency field excluded which deployment. It
// runs only when nothing is left, so it may format freely.
func residencyError(req Request, pol *policy.Policy) error {
	var byProvider, byRegion []string
	for _, d := range req.Function.Deployments {
		switch pol.Excludes(d) {
		case "allowed_providers":
			byProvider = append(byProvider, d.ID)
		case "allowed_regions":
			byRegion = append(byRegion, d.ID)
		}
	}
	var parts []string
	if len(byProvider) > 0 {
		parts = append(parts, fmt.Sprintf("allowed_providers %v excludes %s", pol.AllowedProviders, strings.Join(byProvider, ", ")))
	}
	if len(byRegion) > 0 {
		parts = append(parts, fmt.Sprintf("allowed_regions %v excludes %s", pol.AllowedRegions, strings.Join(byRegion, ", ")))
	}
	return fmt.Errorf("residency leaves none of the function's %d deployments (%s): %w",
		len(req.Function.Deployments), strings.Join(parts, "; "), ErrNoCandidate)
}

// capCost drops, in place, the candidates predicted to cost more than limit
// (0: no cap). A candidate without a cost prediction stays: nothing predicts
// that it exceeds the cap. It fails with ErrNoCandidate when it drops them all.
func capCost(cs []cand, limit float64) ([]cand, int, error) {
	if limit <= 0 {
		return cs, 0, nil
	}
	kept, lowest := cs[:0], -1
	var lowestCost float64
	var lowestID string
	for _, c := range cs {
		if c.cost && c.est.CostUSD > limit {
			if lowest < 0 || c.est.CostUSD < lowestCost {
				lowest, lowestCost, lowestID = c.idx, c.est.CostUSD, c.d.ID
			}
			continue
		}
		kept = append(kept, c)
	}
	dropped := len(cs) - len(kept)
	if len(kept) == 0 && dropped > 0 {
		return nil, dropped, fmt.Errorf("cost cap $%s per call: every allowed deployment is predicted to cost more, the least %s at $%s: %w",
			usd(limit), lowestID, usd(lowestCost), ErrNoCandidate)
	}
	return kept, dropped, nil
}

// ruleHit is what the policy's time-window rules did to a plan.
type ruleHit struct {
	idx   int // the active rule's index in Policy.Rules; -1: none active
	front int // candidates moved to (or already at) the front
	moved bool
	// firstID is the first of the rule's provider's deployments.
	firstID string
}

// applyRule moves, for the first rule active at the plan's time, the live
// deployments of the rule's provider to the front, keeping the strategy's
// order within both groups. A deployment predicted down stays where the
// strategy put it: a rule chooses among the live.
func applyRule(cs []cand, pol *policy.Policy, req Request) ruleHit {
	hit := ruleHit{idx: -1}
	for i := range pol.Rules {
		if pol.Rules[i].Active(req.Now) {
			hit.idx = i
			break
		}
	}
	if hit.idx < 0 {
		return hit
	}
	prefer := pol.Rules[hit.idx].Prefer
	first := -1
	if len(cs) > 0 {
		first = cs[0].idx
	}
	w := 0
	for k := range cs {
		if cs[k].d.Provider != prefer || cs[k].class == classDown {
			continue
		}
		if k != w {
			c := cs[k]
			copy(cs[w+1:k+1], cs[w:k])
			cs[w] = c
		}
		cs[w].reason = rulePreferred(cs[w].reason)
		w++
	}
	hit.front = w
	if w > 0 {
		hit.moved = cs[0].idx != first
		hit.firstID = cs[0].d.ID
	}
	return hit
}

// rulePreferred prefixes a candidate's reason with the rule's; the known
// reasons are constants, so the common case does not allocate.
func rulePreferred(reason string) string {
	switch reason {
	case reasonMeetsSLO:
		return reasonRulePrefix + reasonMeetsSLO
	case reasonByCost:
		return reasonRulePrefix + reasonByCost
	case reasonMissesSLO:
		return reasonRulePrefix + reasonMissesSLO
	case reasonUnpriced:
		return reasonRulePrefix + reasonUnpriced
	case reasonInfeasible:
		return reasonRulePrefix + reasonInfeasible
	case reasonByP95:
		return reasonRulePrefix + reasonByP95
	case reasonByScore:
		return reasonRulePrefix + reasonByScore
	case reasonUnknown:
		return reasonRulePrefix + reasonUnknown
	case reasonWeightedUnknown:
		return reasonRulePrefix + reasonWeightedUnknown
	case reasonDefaultTarget:
		return reasonRulePrefix + reasonDefaultTarget
	case reasonDefaultProv:
		return reasonRulePrefix + reasonDefaultProv
	case reasonSameProvider:
		return reasonRulePrefix + reasonSameProvider
	case reasonFailover:
		return reasonRulePrefix + reasonFailover
	case reasonFailoverImplic:
		return reasonRulePrefix + reasonFailoverImplic
	}
	return reasonRulePrefix + reason
}

// explore implements exploration for the learning strategies. With
// probability share (one draw from rand) it moves to the front, ahead of the
// strategy's winner, the runner-up the strategy knows least: among those not
// predicted down and not Confident (a deployment without an estimate is
// neither), the one with the fewest Samples, ties in declared order. The
// winner itself is never the pick, or a winner that is also the least known
// (every deployment is at first) would keep the others starved of calls. It
// searches only the first front candidates (an active rule's group), so
// exploring never overrides a time-window rule. It draws nothing when rand
// is nil, the share is 0 or no runner-up qualifies; it reports whether it
// moved one.
func explore(cs []cand, front int, share float64, rand func() float64) bool {
	if rand == nil || share <= 0 {
		return false
	}
	pick := -1
	for i := 1; i < front; i++ {
		c := &cs[i]
		if c.class == classDown || c.confident() {
			continue
		}
		if pick < 0 || c.samples() < cs[pick].samples() || c.samples() == cs[pick].samples() && c.idx < cs[pick].idx {
			pick = i
		}
	}
	if pick < 0 || rand() >= share {
		return false
	}
	c := cs[pick]
	copy(cs[1:pick+1], cs[:pick])
	cs[0] = c
	cs[0].reason = reasonExplored
	return true
}

// span is the range of one figure across a call's candidates, for min-max
// normalisation.
type span struct {
	lo, hi float64
	n      int
}

func (s *span) add(v float64) {
	if s.n == 0 || v < s.lo {
		s.lo = v
	}
	if s.n == 0 || v > s.hi {
		s.hi = v
	}
	s.n++
}

// lowerBetter maps v to [0, 1], 1 for the least; all-equal values map to 1.
func (s *span) lowerBetter(v float64) float64 {
	if s.hi == s.lo {
		return 1
	}
	return (s.hi - v) / (s.hi - s.lo)
}

// higherBetter maps v to [0, 1], 1 for the greatest; all-equal values map to 1.
func (s *span) higherBetter(v float64) float64 {
	if s.hi == s.lo {
		return 1
	}
	return (v - s.lo) / (s.hi - s.lo)
}

// kind says which strategy a plan is for.
type kind uint8

const (
	kindStatic kind = iota
	kindCheapest
	kindFastest
	kindWeighted
)

func (k kind) String() string {
	switch k {
	case kindCheapest:
		return string(policy.Cheapest)
	case kindFastest:
		return string(policy.Fastest)
	case kindWeighted:
		return string(policy.Weighted)
	}
	return string(policy.Static)
}

// planState carries one call's plan from the rules to the decision.
type planState struct {
	req  Request
	pol  *policy.Policy
	kind kind
	cs   []cand
	// excluded by residency, capped by the cost cap, down and unknown among
	// the candidates; partial: weighted's candidates scored without a
	// latency or cost prediction.
	excluded, capped, down, unknown, partial int
	// top and next are the strategy's first two choices before rules and
	// exploration; hasNext when there are two.
	top, next  cand
	hasNext    bool
	infeasible bool // cheapest: no candidate meets the SLO
	static     string
	rule       ruleHit
	explored   bool
}

// plan runs a predicting strategy (cheapest, fastest, weighted) with the
// cross-cutting rules.
func plan(req Request, k kind) (Plan, error) {
	pol := req.Policy
	if pol == nil {
		return Plan{}, errNoPolicy
	}
	var buf [smallN]cand
	st := planState{req: req, pol: pol, kind: k}
	st.cs, st.excluded = gather(req, pol, buf[:0])
	if len(st.cs) == 0 {
		if st.excluded > 0 {
			return Plan{}, residencyError(req, pol)
		}
		return st.finish(), nil
	}
	var err error
	if st.cs, st.capped, err = capCost(st.cs, pol.CostCapUSD); err != nil {
		return Plan{}, err
	}
	switch k {
	case kindCheapest:
		st.orderCheapest()
	case kindFastest:
		st.orderFastest()
	case kindWeighted:
		st.orderWeighted()
	}
	slices.SortFunc(st.cs, compareCands)
	st.top = st.cs[0]
	if st.hasNext = len(st.cs) > 1; st.hasNext {
		st.next = st.cs[1]
	}
	st.rule = applyRule(st.cs, pol, req)
	front := len(st.cs)
	if st.rule.front > 0 {
		front = st.rule.front
	}
	st.explored = explore(st.cs, front, pol.ExplorationShare(), req.Rand)
	return st.finish(), nil
}

// demote marks c predicted down and reports whether it did.
func (st *planState) demote(c *cand) bool {
	if !c.down() {
		return false
	}
	c.class, c.reason = classDown, reasonDown
	st.down++
	return true
}

// unplaced marks c as one the strategy lacks the predictions to rank.
func (st *planState) unplaced(c *cand) {
	c.class, c.reason = classUnknown, reasonUnknown
	st.unknown++
}

// orderCheapest ranks by cost the priced candidates known to meet the SLO
// (without an SLO: all priced ones), then by p95 the unpriced ones that meet
// it, then by p95 those that miss it. One it cannot place (no p95 while an
// SLO is set, or neither cost nor p95) comes after those.
func (st *planState) orderCheapest() {
	slo := st.pol.SLOP95Ms
	var costs span
	meets, misses := 0, 0
	for i := range st.cs {
		c := &st.cs[i]
		if c.cost {
			costs.add(c.est.CostUSD)
		}
		c.k1, c.k2 = math.Inf(1), math.Inf(1)
		if c.cost {
			c.k1 = c.est.CostUSD
		}
		if c.lat {
			c.k2 = c.est.LatencyP95Ms
		}
		if st.demote(c) {
			continue
		}
		switch {
		case slo > 0 && c.lat && c.est.LatencyP95Ms > slo:
			c.class, c.reason = classSecond, reasonMissesSLO
			c.k1, c.k2 = c.k2, c.k1
			misses++
		case c.cost && (slo == 0 || c.lat):
			c.class, c.reason = classFirst, reasonMeetsSLO
			if slo == 0 {
				c.reason = reasonByCost
			}
			meets++
		case c.lat:
			c.class, c.reason = classUnpriced, reasonUnpriced
			c.k1, c.k2 = c.k2, c.k1
			meets++
		default:
			st.unplaced(c)
			c.k1, c.k2 = 0, 0
		}
	}
	st.infeasible = meets == 0 && misses > 0
	for i := range st.cs {
		c := &st.cs[i]
		if c.cost {
			c.score = costs.lowerBetter(c.est.CostUSD)
		}
		if st.infeasible && c.class == classSecond {
			c.reason = reasonInfeasible
		}
	}
}

// orderFastest ranks by p95 the candidates with a latency prediction, then
// those without.
func (st *planState) orderFastest() {
	var p95s span
	for i := range st.cs {
		c := &st.cs[i]
		if c.lat {
			p95s.add(c.est.LatencyP95Ms)
		}
		c.k1, c.k2 = math.Inf(1), math.Inf(1)
		if c.lat {
			c.k1 = c.est.LatencyP95Ms
		}
		if c.cost {
			c.k2 = c.est.CostUSD
		}
		switch {
		case st.demote(c):
		case c.lat:
			c.class, c.reason = classFirst, reasonByP95
		default:
			st.unplaced(c)
			c.k1 = 0
		}
	}
	for i := range st.cs {
		if c := &st.cs[i]; c.lat {
			c.score = p95s.lowerBetter(c.est.LatencyP95Ms)
		}
	}
}

// unknownAffinity is the affinity score of a deployment whose distance
// from the caller is unknown: the middle of the scale, neither rewarded nor
// punished, so a missing region mapping does not decide a plan.
const unknownAffinity = 0.5

// orderWeighted scores every estimated candidate by the policy's weights over
// figures normalised across this call's estimated candidates. A latency or
// cost the estimate lacks scores 0, the worst; an unknown distance scores
// unknownAffinity. A candidate without any estimate is not scored: it comes
// after the scored ones (default provider, then declared order), and one
// predicted down goes last.
func (st *planState) orderWeighted() {
	w := st.pol.WeightsOrDefault()
	var lat, cost, rel, aff span
	for i := range st.cs {
		c := &st.cs[i]
		if !c.has {
			continue
		}
		if c.lat {
			lat.add(c.est.LatencyP95Ms)
		}
		if c.cost {
			cost.add(c.est.CostUSD)
		}
		rel.add(c.est.Reliability)
		if d, ok := c.distance(); ok {
			aff.add(-d)
		}
	}
	total := w.Latency + w.Cost + w.Reliability + w.Affinity
	if !(total > 0) || !finite(total) {
		w, total = policy.DefaultWeights(), 1
	}
	for i := range st.cs {
		c := &st.cs[i]
		if !c.has {
			st.unplaced(c)
			continue
		}
		var l, co float64
		if c.lat {
			l = lat.lowerBetter(c.est.LatencyP95Ms)
		}
		if c.cost {
			co = cost.lowerBetter(c.est.CostUSD)
		}
		r := rel.higherBetter(c.est.Reliability)
		a := unknownAffinity
		if d, ok := c.distance(); ok {
			a = aff.higherBetter(-d)
		}
		c.score = (w.Latency*l + w.Cost*co + w.Reliability*r + w.Affinity*a) / total
		c.k1 = -c.score
		switch {
		case st.demote(c):
		case !c.lat || !c.cost:
			c.class, c.reason = classFirst, reasonWeightedUnknown
			st.partial++
		default:
			c.class, c.reason = classFirst, reasonByScore
		}
	}
}

func (c *cand) distance() (float64, bool) {
	d := c.est.DistanceKm
	return d, c.has && finite(d) && d >= 0
}

// finish turns the ordered candidates into a Plan. Predicted figures point
// into one backing array, so a plan costs a few allocations, not one per
// figure.
func (st *planState) finish() Plan {
	n := len(st.cs)
	p := Plan{
		Order: make([]catalog.Deployment, n),
		Decision: invocation.Decision{
			Policy:     st.pol.Name,
			Strategy:   st.kind.String(),
			Candidates: make([]invocation.Candidate, n),
			Explored:   st.explored,
		},
	}
	scored := st.kind != kindStatic
	figs := make([]float64, 0, 5*n)
	at := func(v float64) *float64 {
		figs = append(figs, v)
		return &figs[len(figs)-1]
	}
	for i := range st.cs {
		c := &st.cs[i]
		p.Order[i] = *c.d
		cd := invocation.Candidate{DeploymentID: c.d.ID, Provider: c.d.Provider, Region: c.d.Region, Reason: c.reason}
		if !c.cost && st.pol.CostCapUSD > 0 {
			cd.Reason += costUnknownNote
		}
		if c.lat {
			cd.PredictedLatencyMs = at(c.est.LatencyMs)
			cd.PredictedP95Ms = at(c.est.LatencyP95Ms)
		}
		if c.cost {
			cd.PredictedCostUSD = at(c.est.CostUSD)
		}
		if c.has && finite(c.est.ColdStartRisk) {
			cd.ColdStartRisk = at(c.est.ColdStartRisk)
		}
		if scored && c.has {
			cd.Score = at(c.score)
		}
		p.Decision.Candidates[i] = cd
	}
	if n > 0 || st.kind == kindStatic {
		p.Decision.Reason = st.reason()
	}
	return p
}

// usd formats a price with three significant digits, without exponent and
// trailing zeros ("0.00000021").
func usd(v float64) string { return string(appendUSD(nil, v)) }

func appendUSD(b []byte, v float64) []byte {
	if v == 0 || !finite(v) {
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	prec := 2 - int(math.Floor(math.Log10(math.Abs(v))))
	if prec < 0 {
		prec = 0
	}
	b = strconv.AppendFloat(b, v, 'f', prec, 64)
	if prec > 0 {
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	return b
}
