// Package policy holds routing policies: which deployment of a function FISO
// calls first and in which order it fails over to the others. A policy routes
// one function; at most one policy per function is active at a time.
package policy

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

// Strategy names how a policy orders the deployments of its function.
type Strategy string

// Strategies.
const (
	// Static routes to the policy's default provider and target, then fails
	// over in the policy's order. It is the seed design's behaviour.
	Static Strategy = "static"
	// Cheapest routes to the least predicted cost whose predicted p95
	// latency meets SLOP95Ms.
	Cheapest Strategy = "cheapest"
	// Fastest routes to the least predicted p95 latency whose predicted cost
	// stays under CostCapUSD.
	Fastest Strategy = "fastest"
	// Weighted ranks by a weighted score of latency, cost, reliability and
	// region affinity, each normalised across the candidates.
	Weighted Strategy = "weighted"
	// Split is an A/B experiment: Split.Percent of calls by Split.A, the
	// rest by Split.B.
	Split Strategy = "split"
)

// Strategies lists the strategies this build can route with.
func Strategies() []Strategy { return []Strategy{Static, Cheapest, Fastest, Weighted, Split} }

// Weights of the weighted strategy. They need not sum to 1.
type Weights struct {
	Latency     float64 `json:"latency"`
	Cost        float64 `json:"cost"`
	Reliability float64 `json:"reliability"`
	Affinity    float64 `json:"affinity"`
}

// DefaultWeights are the seed design's: 0.4 latency, 0.3 cost, 0.2
// reliability, 0.1 region affinity.
func DefaultWeights() Weights {
	return Weights{Latency: 0.4, Cost: 0.3, Reliability: 0.2, Affinity: 0.1}
}

// Rule prefers a provider during a time window ("09:00-17:00", UTC; a window
// may wrap midnight), on some weekdays (0 = Monday; empty: every day). While
// a rule is active (see Active), the preferred provider's deployments are
// tried first, in the strategy's order, then the others, in the strategy's
// order; the first active rule of a policy wins.
type Rule struct {
	Window string           `json:"window"`
	Days   []int            `json:"days,omitempty"`
	Prefer catalog.Provider `json:"prefer"`
}

// SplitConfig is an A/B experiment between two strategies (neither a split).
type SplitConfig struct {
	// Percent of calls (0-100) routed by A; the rest by B.
	Percent float64  `json:"percent"`
	A       Strategy `json:"a"`
	B       Strategy `json:"b"`
}

// DefaultExploration is the share of calls a learning strategy sends to a
// less-known deployment when the policy does not say.
const DefaultExploration = 0.02

// Policy is a routing policy as in the seed design's policies table (name,
// default_provider, default target, is_active, created_at) plus the function
// it routes and an ordered failover list.
type Policy struct {
	Name     string   `json:"name"`
	Function string   `json:"function"`
	Strategy Strategy `json:"strategy"`
	// DefaultProvider is tried first.
	DefaultProvider catalog.Provider `json:"default_provider"`
	// DefaultTarget optionally pins the exact deployment target (Lambda ARN or
	// URL) among the function's deployments on DefaultProvider.
	DefaultTarget string `json:"default_target,omitempty"`
	// Failover orders the providers to try after the default deployment. Empty
	// means every other deployment in the function's declared order.
	Failover []catalog.Provider `json:"failover,omitempty"`

	// SLOP95Ms bounds the predicted p95 latency (cheapest; 0: no bound).
	SLOP95Ms float64 `json:"slo_p95_ms,omitempty"`
	// CostCapUSD bounds the predicted cost of one call (fastest, and every
	// strategy as a rule; 0: no cap).
	CostCapUSD float64 `json:"cost_cap_usd,omitempty"`
	// Weights of the weighted strategy (nil: DefaultWeights).
	Weights *Weights `json:"weights,omitempty"`
	// Rules prefer providers in time windows.
	Rules []Rule `json:"rules,omitempty"`
	// AllowedProviders and AllowedRegions keep calls in some clouds and
	// regions (data residency; empty: any).
	AllowedProviders []catalog.Provider `json:"allowed_providers,omitempty"`
	AllowedRegions   []string           `json:"allowed_regions,omitempty"`
	// Split configures the split strategy.
	Split *SplitConfig `json:"split,omitempty"`
	// Exploration is the share of calls (0-0.5) sent to a less-known
	// deployment by learning strategies (nil: DefaultExploration).
	Exploration *float64 `json:"exploration,omitempty"`

	IsActive  bool      `json:"is_active"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MaxExploration bounds Exploration: past half the calls a policy is no
// longer routing by its strategy.
const MaxExploration = 0.5

// ExplorationShare is the share of calls a learning strategy explores with:
// Exploration, or DefaultExploration when the policy does not say.
func (p *Policy) ExplorationShare() float64 {
	if p.Exploration == nil {
		return DefaultExploration
	}
	return *p.Exploration
}

// WeightsOrDefault is Weights, or DefaultWeights when the policy does not say.
func (p *Policy) WeightsOrDefault() Weights {
	if p.Weights == nil {
		return DefaultWeights()
	}
	return *p.Weights
}

// Uses reports whether calls may be routed by s: it is the policy's strategy
// or one arm of its split.
func (p *Policy) Uses(s Strategy) bool {
	if p.Strategy == s {
		return true
	}
	return p.Strategy == Split && p.Split != nil && (p.Split.A == s || p.Split.B == s)
}

// Learning reports whether s learns from predictions and so explores.
func Learning(s Strategy) bool { return s == Cheapest || s == Fastest || s == Weighted }

// NeedsEstimates reports whether routing with p weighs predictions: a
// learning strategy, or a cost cap (which applies to every strategy). A
// caller can skip predicting for the rest.
func (p *Policy) NeedsEstimates() bool {
	return p.CostCapUSD > 0 || p.Uses(Cheapest) || p.Uses(Fastest) || p.Uses(Weighted)
}

// Normalize fills the strategy (static when empty) and lower-cases every
// provider, strategy and region name, in place, so that what is stored is
// what is shown and compares equal to the catalog's (lower-case) names.
//
// It deliberately fills nothing else: Weights, Exploration and the SLO stay
// unset when unset, so a stored policy reads back as it was written and keeps
// following the router's defaults (DefaultWeights, DefaultExploration) rather
// than a copy of them frozen at write time.
func (p *Policy) Normalize() {
	if p.Strategy == "" {
		p.Strategy = Static
	}
	p.Strategy = lowerStrategy(p.Strategy)
	p.DefaultProvider = lowerProvider(p.DefaultProvider)
	for i := range p.Failover {
		p.Failover[i] = lowerProvider(p.Failover[i])
	}
	for i := range p.AllowedProviders {
		p.AllowedProviders[i] = lowerProvider(p.AllowedProviders[i])
	}
	for i := range p.AllowedRegions {
		p.AllowedRegions[i] = strings.ToLower(strings.TrimSpace(p.AllowedRegions[i]))
	}
	for i := range p.Rules {
		p.Rules[i].Prefer = lowerProvider(p.Rules[i].Prefer)
		p.Rules[i].Window = strings.TrimSpace(p.Rules[i].Window)
	}
	if p.Split != nil {
		p.Split.A = lowerStrategy(p.Split.A)
		p.Split.B = lowerStrategy(p.Split.B)
	}
}

func lowerProvider(pr catalog.Provider) catalog.Provider {
	return catalog.Provider(strings.ToLower(string(pr)))
}

func lowerStrategy(s Strategy) Strategy { return Strategy(strings.ToLower(string(s))) }

// Validate checks the policy on its own and reports every problem at once;
// CheckAgainst checks it against the function it routes.
//
// Besides each field's own range, Validate rejects settings that the
// policy's strategies would silently ignore (an SLO without cheapest, weights
// without weighted, a failover list without static, exploration without a
// learning strategy, a split configuration without split): a policy means
// what it says.
func (p *Policy) Validate() error {
	var vs fault.Violations
	if msg := catalog.NameProblem("policy", p.Name); msg != "" {
		vs.Add("name", "%s", msg)
	}
	if msg := catalog.NameProblem("function", p.Function); msg != "" {
		vs.Add("function", "%s", msg)
	}
	if !known(p.Strategy) {
		vs.Add("strategy", "strategy %q is not available; use one of %v", p.Strategy, Strategies())
	}
	p.validateProviders(&vs)
	p.validateStrategyFields(&vs)
	p.validateRules(&vs)
	p.validateSplit(&vs)
	return vs.Err()
}

func known(s Strategy) bool {
	for _, k := range Strategies() {
		if s == k {
			return true
		}
	}
	return false
}

// allowsProvider reports whether AllowedProviders lets calls reach pr.
func (p *Policy) allowsProvider(pr catalog.Provider) bool {
	if len(p.AllowedProviders) == 0 {
		return true
	}
	for _, a := range p.AllowedProviders {
		if a == pr {
			return true
		}
	}
	return false
}

// allowsRegion reports whether AllowedRegions lets calls reach region.
func (p *Policy) allowsRegion(region string) bool {
	if len(p.AllowedRegions) == 0 {
		return true
	}
	for _, a := range p.AllowedRegions {
		if a == region {
			return true
		}
	}
	return false
}

// Allows reports whether the policy's residency rules (AllowedProviders and
// AllowedRegions) let calls reach d. A deployment they do not allow is never
// tried, not even as a failover.
func (p *Policy) Allows(d catalog.Deployment) bool {
	return p.allowsProvider(d.Provider) && p.allowsRegion(d.Region)
}

// Excludes names the residency field that keeps calls from d
// ("allowed_providers" or "allowed_regions"), or returns "" when d is
// allowed, so that a refusal can say which rule excluded what.
func (p *Policy) Excludes(d catalog.Deployment) string {
	switch {
	case !p.allowsProvider(d.Provider):
		return "allowed_providers"
	case !p.allowsRegion(d.Region):
		return "allowed_regions"
	}
	return ""
}

func (p *Policy) validateProviders(vs *fault.Violations) {
	seen := map[catalog.Provider]bool{}
	for i, ap := range p.AllowedProviders {
		field := fmt.Sprintf("allowed_providers[%d]", i)
		switch {
		case !ap.Valid():
			vs.Add(field, "%q is not one of aws, azure, gcp", ap)
		case seen[ap]:
			vs.Add(field, "%s is listed twice", ap)
		}
		seen[ap] = true
	}
	regions := map[string]bool{}
	for i, r := range p.AllowedRegions {
		field := fmt.Sprintf("allowed_regions[%d]", i)
		switch {
		case r == "":
			vs.Add(field, "must not be empty")
		case regions[r]:
			vs.Add(field, "%s is listed twice", r)
		}
		regions[r] = true
	}

	switch {
	case p.DefaultProvider == "" && p.Uses(Static):
		vs.Add("default_provider", "%s", p.armText(Static, "needs a default provider (aws, azure or gcp)"))
	case p.DefaultProvider == "":
	case !p.DefaultProvider.Valid():
		vs.Add("default_provider", "%q is not one of aws, azure, gcp", p.DefaultProvider)
	case !p.allowsProvider(p.DefaultProvider):
		vs.Add("default_provider", "%s is not in allowed_providers", p.DefaultProvider)
	}
	switch {
	case len(p.DefaultTarget) > catalog.MaxTargetLen:
		vs.Add("default_target", "must be at most %d characters", catalog.MaxTargetLen)
	case p.DefaultTarget != "" && p.DefaultProvider == "":
		vs.Add("default_target", "names a target on the default provider, so it needs default_provider")
	}

	if len(p.Failover) > 0 && !p.Uses(Static) {
		vs.Add("failover", "applies to the static strategy only (the %s strategy orders every allowed deployment); use allowed_providers to keep calls out of a cloud", p.Strategy)
	}
	seen = map[catalog.Provider]bool{}
	for i, fp := range p.Failover {
		field := fmt.Sprintf("failover[%d]", i)
		switch {
		case !fp.Valid():
			vs.Add(field, "%q is not one of aws, azure, gcp", fp)
		case seen[fp]:
			vs.Add(field, "%s is listed twice", fp)
		case !p.allowsProvider(fp):
			vs.Add(field, "%s is not in allowed_providers", fp)
		}
		seen[fp] = true
	}
}

// armText phrases a requirement of strategy s for the policy itself or, when
// s is only an arm of its split, for that arm.
func (p *Policy) armText(s Strategy, need string) string {
	if p.Strategy == s || p.Split == nil {
		return fmt.Sprintf("the %s strategy %s", s, need)
	}
	arm := "a"
	if p.Split.A != s {
		arm = "b"
	}
	return fmt.Sprintf("split arm %s (%s) %s", arm, s, need)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func (p *Policy) validateStrategyFields(vs *fault.Violations) {
	switch {
	case !finite(p.SLOP95Ms) || p.SLOP95Ms < 0:
		vs.Add("slo_p95_ms", "must be a number of milliseconds >= 0 (0: no bound)")
	case p.SLOP95Ms > 0 && !p.Uses(Cheapest):
		vs.Add("slo_p95_ms", "applies to the cheapest strategy only")
	}
	if !finite(p.CostCapUSD) || p.CostCapUSD < 0 {
		vs.Add("cost_cap_usd", "must be a number of US dollars >= 0 (0: no cap)")
	}
	if w := p.Weights; w != nil {
		if !p.Uses(Weighted) {
			vs.Add("weights", "applies to the weighted strategy only")
		}
		bad := false
		for _, c := range []struct {
			field string
			v     float64
		}{{"latency", w.Latency}, {"cost", w.Cost}, {"reliability", w.Reliability}, {"affinity", w.Affinity}} {
			if !finite(c.v) || c.v < 0 {
				vs.Add("weights."+c.field, "must be a number >= 0")
				bad = true
			}
		}
		switch sum := w.Latency + w.Cost + w.Reliability + w.Affinity; {
		case bad:
		case sum == 0:
			vs.Add("weights", "at least one weight must be positive")
		case !finite(sum):
			vs.Add("weights", "their sum must be a finite number (the score divides by it)")
		}
	}
	if e := p.Exploration; e != nil {
		switch {
		case !finite(*e) || *e < 0 || *e > MaxExploration:
			vs.Add("exploration", "must be between 0 and %g", MaxExploration)
		case !p.Uses(Cheapest) && !p.Uses(Fastest) && !p.Uses(Weighted):
			vs.Add("exploration", "applies to the cheapest, fastest and weighted strategies only")
		}
	}
}

func (p *Policy) validateRules(vs *fault.Violations) {
	for i, r := range p.Rules {
		field := fmt.Sprintf("rules[%d]", i)
		if _, _, err := ParseWindow(r.Window); err != nil {
			vs.Add(field+".window", "%s", err.Error())
		}
		var seen [7]bool
		for j, d := range r.Days {
			switch {
			case d < 0 || d > 6:
				vs.Add(fmt.Sprintf("%s.days[%d]", field, j), "%d is not a day: 0 is Monday, 6 Sunday", d)
			case seen[d]:
				vs.Add(fmt.Sprintf("%s.days[%d]", field, j), "day %d is listed twice", d)
			default:
				seen[d] = true
			}
		}
		switch {
		case !r.Prefer.Valid():
			vs.Add(field+".prefer", "%q is not one of aws, azure, gcp", r.Prefer)
		case !p.allowsProvider(r.Prefer):
			vs.Add(field+".prefer", "%s is not in allowed_providers", r.Prefer)
		}
	}
}

// SplitArms lists the strategies a split can route an arm with.
func SplitArms() []Strategy { return []Strategy{Static, Cheapest, Fastest, Weighted} }

func (p *Policy) validateSplit(vs *fault.Violations) {
	s := p.Split
	switch {
	case s == nil && p.Strategy == Split:
		vs.Add("split", "the split strategy needs a split configuration: percent, a and b")
		return
	case s == nil:
		return
	case p.Strategy != Split:
		vs.Add("split", "applies to the split strategy only")
	}
	if !finite(s.Percent) || s.Percent < 0 || s.Percent > 100 {
		vs.Add("split.percent", "must be between 0 and 100")
	}
	for _, arm := range []struct {
		field string
		s     Strategy
	}{{"split.a", s.A}, {"split.b", s.B}} {
		if arm.s == Split || !known(arm.s) {
			vs.Add(arm.field, "strategy %q cannot be a split arm; use one of %v", arm.s, SplitArms())
		}
	}
}

// ParseWindow parses a rule's window "HH:MM-HH:MM" (UTC, 24-hour clock) into
// minutes of the day: start is in 0..1439, end in 1..1440 ("24:00" ends at
// midnight). The window runs from start up to, not including, end; an end
// before the start wraps past midnight. Start and end must differ.
func ParseWindow(w string) (start, end int, err error) {
	from, to, ok := strings.Cut(w, "-")
	if !ok {
		return 0, 0, fmt.Errorf("window %q must be HH:MM-HH:MM, UTC", w)
	}
	start, okStart := clock(from)
	end, okEnd := clock(to)
	switch {
	case !okStart || !okEnd || start == 1440:
		return 0, 0, fmt.Errorf("window %q must be HH:MM-HH:MM, UTC, from 00:00 to 23:59 and up to 24:00", w)
	case start == end:
		return 0, 0, fmt.Errorf("window %q is empty: start and end are the same minute (use 00:00-24:00 for all day)", w)
	}
	return start, end, nil
}

// clock parses "HH:MM" (00:00-24:00) into minutes of the day without
// allocating, as rules are matched on every call.
func clock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range [...]int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 24 || m > 59 || h == 24 && m != 0 {
		return 0, false
	}
	return h*60 + m, true
}

// Active reports whether the rule applies at t. Days name the day a window
// starts on: the part of a window that wraps past midnight belongs to the day
// before, so "22:00-02:00" on Friday (4) covers Saturday 01:00 and not
// Friday 01:00. A rule whose window does not parse is never active.
func (r Rule) Active(t time.Time) bool {
	start, end, err := ParseWindow(r.Window)
	if err != nil {
		return false
	}
	t = t.UTC()
	m := t.Hour()*60 + t.Minute()
	day := (int(t.Weekday()) + 6) % 7 // Monday is 0
	switch {
	case start < end:
		return start <= m && m < end && r.onDay(day)
	case m >= start:
		return r.onDay(day)
	case m < end:
		return r.onDay((day + 6) % 7)
	}
	return false
}

func (r Rule) onDay(day int) bool {
	if len(r.Days) == 0 {
		return true
	}
	for _, d := range r.Days {
		if d == day {
			return true
		}
	}
	return false
}

// CheckAgainst reports, all at once, whether p can route f: the residency
// rules must leave at least one of f's deployments, the default provider
// (when set) must have an allowed deployment, a default target must be one
// of that provider's targets, and every rule's preferred provider must have
// an allowed deployment (a rule that can never move anything is a mistake).
func (p *Policy) CheckAgainst(f catalog.Function) error {
	var vs fault.Violations
	byProvider, byRegion, both := 0, 0, 0
	for _, d := range f.Deployments {
		okP, okR := p.allowsProvider(d.Provider), p.allowsRegion(d.Region)
		if okP {
			byProvider++
		}
		if okR {
			byRegion++
		}
		if okP && okR {
			both++
		}
	}
	if both == 0 && len(f.Deployments) > 0 {
		switch {
		case byProvider == 0:
			vs.Add("allowed_providers", "function %q has no deployment on %v", f.Name, p.AllowedProviders)
		case byRegion == 0:
			vs.Add("allowed_regions", "function %q has no deployment in %v", f.Name, p.AllowedRegions)
		default:
			vs.Add("allowed_regions", "function %q has no deployment on %v in %v", f.Name, p.AllowedProviders, p.AllowedRegions)
		}
	}
	if p.DefaultProvider != "" {
		p.checkDefault(f, &vs)
	}
	p.checkRules(f, &vs)
	return vs.Err()
}

func (p *Policy) checkRules(f catalog.Function, vs *fault.Violations) {
	for i, r := range p.Rules {
		if !r.Prefer.Valid() {
			continue // Validate reports it
		}
		allowed := false
		for _, d := range f.Deployments {
			allowed = allowed || d.Provider == r.Prefer && p.Allows(d)
		}
		switch field := fmt.Sprintf("rules[%d].prefer", i); {
		case !f.HasProvider(r.Prefer):
			vs.Add(field, "function %q has no %s deployment", f.Name, r.Prefer)
		case !allowed:
			vs.Add(field, "every %s deployment of function %q is outside allowed_regions %v", r.Prefer, f.Name, p.AllowedRegions)
		}
	}
}

func (p *Policy) checkDefault(f catalog.Function, vs *fault.Violations) {
	if !f.HasProvider(p.DefaultProvider) {
		vs.Add("default_provider", "function %q has no %s deployment", f.Name, p.DefaultProvider)
		return
	}
	allowed, target := false, false
	for _, d := range f.Deployments {
		if d.Provider != p.DefaultProvider {
			continue
		}
		allowed = allowed || p.Allows(d)
		target = target || d.Target == p.DefaultTarget
	}
	if !allowed {
		vs.Add("default_provider", "every %s deployment of function %q is outside allowed_regions %v", p.DefaultProvider, f.Name, p.AllowedRegions)
	}
	if p.DefaultTarget != "" && !target {
		vs.Add("default_target", "function %q has no %s deployment with this target", f.Name, p.DefaultProvider)
	}
}
