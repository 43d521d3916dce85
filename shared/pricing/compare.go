package pricing

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// AbsurdChange is the relative change of a number, |new-old|/old, beyond
// which Compare marks a change Absurd: the pricing job refuses to apply a
// card with an absurd change unless told --accept.
const AbsurdChange = 0.5

// ChangeKind says what a Change is about.
type ChangeKind string

// The kinds of Change.
const (
	// ChangeKey: provider, plan, region, arch or currency differ (the cards
	// are not two versions of one card). Always absurd.
	ChangeKey ChangeKind = "key"
	// ChangePrice: a tier's USDPerUnit.
	ChangePrice ChangeKind = "price"
	// ChangeTierFrom and ChangeTierTo: a tier's range (To 0 is unbounded).
	ChangeTierFrom ChangeKind = "tier_from"
	ChangeTierTo   ChangeKind = "tier_to"
	// ChangeTierAdded and ChangeTierRemoved: the number of tiers changed;
	// Old or New is the price of the tier. Always absurd.
	ChangeTierAdded   ChangeKind = "tier_added"
	ChangeTierRemoved ChangeKind = "tier_removed"
	// ChangeMeterAdded and ChangeMeterRemoved: a meter appeared or went.
	// Always absurd.
	ChangeMeterAdded   ChangeKind = "meter_added"
	ChangeMeterRemoved ChangeKind = "meter_removed"
	// ChangeFreeGrant: a meter's monthly free units.
	ChangeFreeGrant ChangeKind = "free_grant"
	// ChangeBilling: one billing rule; Field names it.
	ChangeBilling ChangeKind = "billing"
)

// Change is one difference between a stored card and a fetched one.
type Change struct {
	Kind  ChangeKind `json:"kind"`
	Meter Meter      `json:"meter,omitempty"`
	// Tier is the tier index, or -1 where no tier is concerned.
	Tier int `json:"tier"`
	// Field names the billing rule or key part that changed.
	Field string `json:"field,omitempty"`
	// Old and New are the numbers compared (booleans as 0 and 1).
	Old float64 `json:"old"`
	New float64 `json:"new"`
	// Ratio is New/Old: 1.6 is 60% up; +Inf when Old is 0 and New is not
	// (null in JSON); 0 for a key or structural change.
	Ratio float64 `json:"ratio"`
	// Absurd marks a change beyond AbsurdChange, or a structural one.
	Absurd bool `json:"absurd"`
}

// MarshalJSON writes a ratio that is not a finite number (a change from 0)
// as null: JSON has no infinity, and an event carrying the change must
// still encode.
func (ch Change) MarshalJSON() ([]byte, error) {
	type plain Change
	out := struct {
		plain
		Ratio *float64 `json:"ratio"`
	}{plain: plain(ch)}
	if !math.IsInf(ch.Ratio, 0) && !math.IsNaN(ch.Ratio) {
		out.Ratio = &ch.Ratio
	}
	return json.Marshal(out)
}

// String describes the change for a log or a terminal.
func (ch Change) String() string {
	what := string(ch.Kind)
	if ch.Meter != "" {
		what += " " + string(ch.Meter)
	}
	if ch.Tier >= 0 {
		what += " tier " + strconv.Itoa(ch.Tier)
	}
	if ch.Field != "" {
		what += " " + ch.Field
	}
	if ch.Kind == ChangeKey {
		return what + " ABSURD"
	}
	s := fmt.Sprintf("%s: %v -> %v", what, ch.Old, ch.New)
	if ch.Ratio != 0 {
		s += fmt.Sprintf(" (x%.4g)", ch.Ratio)
	}
	if ch.Absurd {
		s += " ABSURD"
	}
	return s
}

// AnyAbsurd reports whether any change is absurd.
func AnyAbsurd(changes []Change) bool {
	for _, ch := range changes {
		if ch.Absurd {
			return true
		}
	}
	return false
}

// Compare lists what changed from stored to fetched, meter by meter and tier
// by tier, then free grants and billing rules, on the canonical form of both
// (a $0 tier and the equal free grant are no change). Nothing changed is an
// empty list. Sources, fetch times, quotes and versions are not compared.
func Compare(stored, fetched Card) []Change {
	old, cur := stored.Canonical(), fetched.Canonical()
	var out []Change
	for _, k := range [][3]string{
		{"provider", string(old.Provider), string(cur.Provider)},
		{"plan", string(old.Plan), string(cur.Plan)},
		{"region", old.Region, cur.Region},
		{"arch", string(old.Arch), string(cur.Arch)},
		{"currency", old.Currency, cur.Currency},
	} {
		if k[1] != k[2] {
			out = append(out, Change{Kind: ChangeKey, Tier: -1, Field: k[0] + " " + strconv.Quote(k[1]) + " -> " + strconv.Quote(k[2]), Absurd: true})
		}
	}
	oldPrices, curPrices := pricesByMeter(old), pricesByMeter(cur)
	for _, m := range sortedMeters(old.Plan, union(oldPrices, curPrices)) {
		op, inOld := oldPrices[m]
		np, inCur := curPrices[m]
		switch {
		case !inCur:
			out = append(out, Change{Kind: ChangeMeterRemoved, Meter: m, Tier: -1, Absurd: true})
		case !inOld:
			out = append(out, Change{Kind: ChangeMeterAdded, Meter: m, Tier: -1, Absurd: true})
		default:
			out = append(out, compareTiers(m, op.Tiers, np.Tiers)...)
		}
	}
	oldGrants, curGrants := grantsByMeter(old), grantsByMeter(cur)
	for _, m := range sortedMeters(old.Plan, union(oldGrants, curGrants)) {
		if ch, ok := numberChange(ChangeFreeGrant, m, -1, "", oldGrants[m], curGrants[m]); ok {
			out = append(out, ch)
		}
	}
	ob, nb := old.Billing, cur.Billing
	for _, f := range []struct {
		name     string
		old, new float64
	}{
		{"min_duration_ms", ob.MinDurationMs, nb.MinDurationMs},
		{"step_ms", ob.StepMs, nb.StepMs},
		{"memory_step_mb", float64(ob.MemoryStepMB), float64(nb.MemoryStepMB)},
		{"min_memory_mb", float64(ob.MinMemoryMB), float64(nb.MinMemoryMB)},
	} {
		if ch, ok := numberChange(ChangeBilling, "", -1, f.name, f.old, f.new); ok {
			out = append(out, ch)
		}
	}
	if ob.BillsObservedMemory != nb.BillsObservedMemory {
		out = append(out, Change{Kind: ChangeBilling, Tier: -1, Field: "bills_observed_memory", Old: boolNum(ob.BillsObservedMemory), New: boolNum(nb.BillsObservedMemory), Absurd: true})
	}
	return out
}

// compareTiers compares two tier lists of meter m index by index.
func compareTiers(m Meter, old, cur []Tier) []Change {
	var out []Change
	for i := range max(len(old), len(cur)) {
		switch {
		case i >= len(cur):
			out = append(out, Change{Kind: ChangeTierRemoved, Meter: m, Tier: i, Old: old[i].USDPerUnit, Absurd: true})
		case i >= len(old):
			out = append(out, Change{Kind: ChangeTierAdded, Meter: m, Tier: i, New: cur[i].USDPerUnit, Absurd: true})
		default:
			for _, f := range []struct {
				kind     ChangeKind
				old, new float64
			}{
				{ChangePrice, old[i].USDPerUnit, cur[i].USDPerUnit},
				{ChangeTierFrom, old[i].From, cur[i].From},
				{ChangeTierTo, old[i].To, cur[i].To},
			} {
				if ch, ok := numberChange(f.kind, m, i, "", f.old, f.new); ok {
					out = append(out, ch)
				}
			}
		}
	}
	return out
}

// numberChange is the change from old to cur, if they differ. A tier end
// going from or to 0 (unbounded) changes the tier's nature and is absurd.
func numberChange(kind ChangeKind, m Meter, tier int, field string, old, cur float64) (Change, bool) {
	if old == cur {
		return Change{}, false
	}
	ch := Change{Kind: kind, Meter: m, Tier: tier, Field: field, Old: old, New: cur}
	if old == 0 {
		ch.Ratio = math.Inf(1)
		ch.Absurd = true
		return ch, true
	}
	ch.Ratio = cur / old
	ch.Absurd = math.Abs(cur-old)/math.Abs(old) > AbsurdChange || (kind == ChangeTierTo && cur == 0)
	return ch, true
}

func pricesByMeter(c Card) map[Meter]Price {
	out := make(map[Meter]Price, len(c.Prices))
	for _, p := range c.Prices {
		if _, dup := out[p.Meter]; !dup {
			out[p.Meter] = p
		}
	}
	return out
}

func grantsByMeter(c Card) map[Meter]float64 {
	out := make(map[Meter]float64, len(c.FreeGrants))
	for _, g := range c.FreeGrants {
		out[g.Meter] += g.Units
	}
	return out
}

// union is the set of keys of a and b.
func union[V any](a, b map[Meter]V) map[Meter]bool {
	out := make(map[Meter]bool, len(a)+len(b))
	for m := range a {
		out[m] = true
	}
	for m := range b {
		out[m] = true
	}
	return out
}

func boolNum(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
