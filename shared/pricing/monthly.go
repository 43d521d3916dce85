package pricing

import (
	"fmt"
	"math"
	"slices"

	"github.com/fiso-dev/fiso/shared/fault"
)

// unitEpsilon is the share of a month's quantity that may go unpriced to
// float noise at a tier boundary before Monthly calls it a gap.
const unitEpsilon = 1e-9

// Bill is what a card charges for a month's usage.
type Bill struct {
	Key         Key    `json:"key"`
	CardVersion string `json:"card_version"`
	// Lines holds one line per meter billed.
	Lines    map[Meter]BillLine `json:"lines"`
	TotalUSD float64            `json:"total_usd"`
}

// BillLine is one meter of a Bill.
type BillLine struct {
	Meter Meter `json:"meter"`
	// Quantity is the month's usage; FreeUnits the part a free grant or a $0
	// tier covered; BillableUnits the rest, priced across the tiers.
	Quantity      float64 `json:"quantity"`
	FreeUnits     float64 `json:"free_units"`
	BillableUnits float64 `json:"billable_units"`
	USD           float64 `json:"usd"`
}

// Monthly bills a month's quantities (GB-seconds, requests ...) under c:
// per meter, the free grant covers the first units of the month, and the
// rest is split across the tier ranges it falls in, each at its price. A
// leading $0 tier and a grant overlap rather than add up (see the package
// documentation). Amounts are not rounded to cents, as a provider's invoice
// is.
//
// FreeGrants are account-wide: where several cards share one allowance (AWS
// x86 and Arm, several regions), bill all but one of them with a copy of the
// card whose FreeGrants are reduced or nil.
func (c Card) Monthly(q map[Meter]float64) (Bill, error) {
	bill := Bill{Key: c.KeyOf(), CardVersion: c.Version, Lines: make(map[Meter]BillLine, len(q))}
	for m, units := range q {
		line, err := c.line(m, units)
		if err != nil {
			return Bill{}, fmt.Errorf("monthly bill on card %s: meter %s: %w", c.KeyOf(), m, err)
		}
		bill.Lines[m] = line
	}
	// Sum in the plan's meter order, then any others, so the total does not
	// depend on map iteration order.
	for _, m := range sortedMeters(c.Plan, bill.Lines) {
		bill.TotalUSD += bill.Lines[m].USD
	}
	return bill, nil
}

// line bills units of meter m.
func (c Card) line(m Meter, units float64) (BillLine, error) {
	if math.IsNaN(units) || math.IsInf(units, 0) || units < 0 {
		return BillLine{}, fault.Invalid(string(m), "quantity %v is not a finite, non-negative number", units)
	}
	p, ok := c.price(m)
	if !ok {
		return BillLine{}, fmt.Errorf("the card has no price for it: %w", ErrNoPrice)
	}
	line := BillLine{Meter: m, Quantity: units}
	// The grant covers [0, pos); the tiers price [pos, units).
	pos := math.Min(units, c.grantUnits(m))
	line.FreeUnits = pos
	for i, t := range p.Tiers {
		if pos >= units {
			break
		}
		end := units
		if t.To > 0 && t.To < end {
			end = t.To
		}
		if end <= pos {
			continue
		}
		if t.From > pos+unitEpsilon*units {
			return BillLine{}, fmt.Errorf("tier %d starts at %v, leaving usage from %v unpriced: %w", i, t.From, pos, ErrNoPrice)
		}
		n := end - pos
		if t.USDPerUnit == 0 {
			line.FreeUnits += n
		} else {
			line.USD += n * t.USDPerUnit
		}
		pos = end
	}
	if units-pos > unitEpsilon*units {
		return BillLine{}, fmt.Errorf("usage above %v has no tier: %w", pos, ErrNoPrice)
	}
	line.BillableUnits = units - line.FreeUnits
	return line, nil
}

// grantUnits is the monthly free allowance of meter m.
func (c Card) grantUnits(m Meter) float64 {
	var units float64
	for _, g := range c.FreeGrants {
		if g.Meter == m {
			units += g.Units
		}
	}
	return units
}

// Canonical returns c in canonical form, sharing no slice with c: no $0
// tier, the first tier of every price starting at 0, and the free allowance
// as a grant. A leading $0 tier becomes a free grant of the meter (the larger
// of the tier's range and any grant already there); a first paid tier that
// starts above 0 where the grant covers the usage below it (a list whose $0
// row was stripped) is extended down to 0. Monthly bills a card and its
// canonical form alike; Seal and Compare look at the canonical form. The
// version is kept: it is a hash of the canonical form.
func (c Card) Canonical() Card {
	out := c
	out.Prices = make([]Price, len(c.Prices))
	out.FreeGrants = append([]Grant(nil), c.FreeGrants...)
	for i, p := range c.Prices {
		tiers := append([]Tier(nil), p.Tiers...)
		for len(tiers) > 1 && tiers[0].USDPerUnit == 0 && tiers[0].To > 0 {
			out.FreeGrants = raiseGrant(out.FreeGrants, p.Meter, tiers[0].To)
			tiers = tiers[1:]
		}
		if len(tiers) > 0 && tiers[0].From > 0 && out.grantUnits(p.Meter) >= tiers[0].From {
			tiers[0].From = 0
		}
		p.Tiers = tiers
		out.Prices[i] = p
	}
	if len(out.FreeGrants) == 0 {
		out.FreeGrants = c.FreeGrants
	}
	return out
}

// raiseGrant makes the grant of meter m at least units.
func raiseGrant(gs []Grant, m Meter, units float64) []Grant {
	for i, g := range gs {
		if g.Meter == m {
			gs[i].Units = math.Max(g.Units, units)
			return gs
		}
	}
	return append(gs, Grant{Meter: m, Units: units})
}

// sortedMeters lists the keys of lines: the plan's meters in order, then any
// others by name.
func sortedMeters[V any](p Plan, lines map[Meter]V) []Meter {
	out := make([]Meter, 0, len(lines))
	seen := make(map[Meter]bool, len(lines))
	for _, m := range MetersOf(p) {
		if _, ok := lines[m]; ok {
			out = append(out, m)
			seen[m] = true
		}
	}
	var rest []Meter
	for m := range lines {
		if !seen[m] {
			rest = append(rest, m)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}
