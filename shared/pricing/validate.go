package pricing

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

// Validate reports every problem of c at once, as fault.Violations: the
// provider and plan must pair (PlansOf), the region be set, the arch be
// x86_64 or arm64, the currency USD and the effective date set; every meter
// of MetersOf(plan) priced exactly once and no other; each price's tiers
// sorted and contiguous from 0 (each From the previous To, the last To 0,
// meaning unbounded; the first may start above 0 where the meter's free grant
// covers the usage below it) with no negative price and no $0 price except a
// leading free row (a first tier at $0 whose range is the free allowance,
// followed by paid tiers); grants non-negative, one per meter of the plan; billing equal
// to BillingOf(plan) unless BillingOverride says why not, and usable either
// way; and a version, when set, equal to the content's.
func (c Card) Validate() error {
	var vs fault.Violations
	c.validateKey(&vs)
	meters := MetersOf(c.Plan)
	c.validatePrices(&vs, meters)
	c.validateGrants(&vs, meters)
	c.validateBilling(&vs)
	if c.EffectiveDate.IsZero() {
		vs.Add("effective_date", "must be set to when the prices took effect")
	}
	if c.Version != "" && len(vs) == 0 {
		if want := c.ContentVersion(); c.Version != want {
			vs.Add("version", "%q does not match the card's content (%q): seal the card after changing it", c.Version, want)
		}
	}
	return vs.Err()
}

func (c Card) validateKey(vs *fault.Violations) {
	switch {
	case !c.Provider.Valid():
		vs.Add("provider", "%q is not one of aws, azure, gcp", c.Provider)
	case !slices.Contains(PlansOf(c.Provider), c.Plan):
		vs.Add("plan", "%q is not a plan of %s (want one of %v)", c.Plan, c.Provider, PlansOf(c.Provider))
	}
	if strings.TrimSpace(c.Region) == "" {
		vs.Add("region", "must be set")
	}
	if c.Arch != catalog.X86_64 && c.Arch != catalog.ARM64 {
		vs.Add("arch", "%q is not x86_64 or arm64", c.Arch)
	}
	if c.Currency != "USD" {
		vs.Add("currency", "%q is not USD, the only currency FISO prices in", c.Currency)
	}
}

func (c Card) validatePrices(vs *fault.Violations, meters []Meter) {
	count := make(map[Meter]int, len(c.Prices))
	for _, p := range c.Prices {
		count[p.Meter]++
	}
	for _, m := range meters {
		switch n := count[m]; {
		case n == 0:
			vs.Add("prices", "meter %s is missing; plan %s bills it", m, c.Plan)
		case n > 1:
			vs.Add("prices", "meter %s is priced %d times, want once", m, n)
		}
	}
	for i, p := range c.Prices {
		field := fmt.Sprintf("prices[%d]", i)
		if !slices.Contains(meters, p.Meter) {
			vs.Add(field+".meter", "meter %q is not billed by plan %q", p.Meter, c.Plan)
			continue
		}
		validateTiers(vs, field, p, c.grantUnits(p.Meter))
	}
}

// validateTiers checks one price's tiers; grant is the meter's free grant.
func validateTiers(vs *fault.Violations, field string, p Price, grant float64) {
	if len(p.Tiers) == 0 {
		vs.Add(field+".tiers", "meter %s has no tiers", p.Meter)
		return
	}
	paid := false
	for j, t := range p.Tiers {
		tf := fmt.Sprintf("%s.tiers[%d]", field, j)
		last := j == len(p.Tiers)-1
		if !finite(t.From, t.To, t.USDPerUnit) {
			vs.Add(tf, "meter %s: from, to and usd_per_unit must be finite numbers", p.Meter)
			continue
		}
		if j == 0 && t.From != 0 && (t.From < 0 || grant < t.From) {
			vs.Add(tf+".from", "meter %s: the first tier starts at %v, want 0 or a free grant of at least %v units to cover the usage below it", p.Meter, t.From, t.From)
		}
		if j > 0 && t.From != p.Tiers[j-1].To {
			vs.Add(tf+".from", "meter %s: tier starts at %v, want the previous tier's end %v (tiers must be sorted and contiguous)", p.Meter, t.From, p.Tiers[j-1].To)
		}
		switch {
		case last && t.To != 0:
			vs.Add(tf+".to", "meter %s: the last tier ends at %v, want 0 (unbounded)", p.Meter, t.To)
		case !last && t.To <= t.From:
			vs.Add(tf+".to", "meter %s: tier ends at %v, not after its start %v", p.Meter, t.To, t.From)
		}
		switch {
		case t.USDPerUnit < 0:
			vs.Add(tf+".usd_per_unit", "meter %s: price %v is negative", p.Meter, t.USDPerUnit)
		case t.USDPerUnit == 0 && (j != 0 || last):
			vs.Add(tf+".usd_per_unit", "meter %s: a $0 price is allowed only as the leading free-allowance tier followed by paid tiers", p.Meter)
		case t.USDPerUnit == 0 && grant > 0 && t.To != grant:
			// A zeroed price would otherwise pass as a "free tier".
			vs.Add(tf+".usd_per_unit", "meter %s: a leading $0 tier must be the free allowance of %v units, this one ends at %v", p.Meter, grant, t.To)
		case t.USDPerUnit > 0:
			paid = true
		}
	}
	if !paid {
		vs.Add(field+".tiers", "meter %s has no tier priced above $0", p.Meter)
	}
}

func (c Card) validateGrants(vs *fault.Violations, meters []Meter) {
	seen := make(map[Meter]bool, len(c.FreeGrants))
	for i, g := range c.FreeGrants {
		field := fmt.Sprintf("free_grants[%d]", i)
		switch {
		case !slices.Contains(meters, g.Meter):
			vs.Add(field+".meter", "meter %q is not billed by plan %q", g.Meter, c.Plan)
		case seen[g.Meter]:
			vs.Add(field+".meter", "meter %s has more than one grant", g.Meter)
		}
		seen[g.Meter] = true
		if !finite(g.Units) || g.Units < 0 {
			vs.Add(field+".units", "meter %s: %v units is not a finite, non-negative number", g.Meter, g.Units)
		}
	}
}

func (c Card) validateBilling(vs *fault.Violations) {
	b := c.Billing
	if want := BillingOf(c.Plan); b != want && c.BillingOverride == "" && MetersOf(c.Plan) != nil {
		vs.Add("billing", "%+v differs from plan %s's rules %+v; set billing_override to say why", b, c.Plan, want)
	}
	if !finite(b.MinDurationMs, b.StepMs) || b.MinDurationMs < 0 || b.StepMs <= 0 {
		vs.Add("billing", "min_duration_ms %v must be >= 0 and step_ms %v > 0", b.MinDurationMs, b.StepMs)
	}
	if b.MemoryStepMB < 0 || b.MinMemoryMB < 0 {
		vs.Add("billing", "memory_step_mb %d and min_memory_mb %d must not be negative", b.MemoryStepMB, b.MinMemoryMB)
	}
}

// finite reports whether every f is neither NaN nor infinite.
func finite(fs ...float64) bool {
	for _, f := range fs {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return true
}
