package store

import (
	"time"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/fault"
)

// The budget rules below are shared by every implementation of Budgets and
// Alerts, like those of rules.go.

// CheckBudgetRef rejects a budget name a store cannot key on.
func CheckBudgetRef(r budget.Ref) error {
	if err := CheckKeyPart("scope", string(r.Scope)); err != nil {
		return err
	}
	return CheckKeyPart("id", r.ID)
}

// CheckReservation rejects a reservation a store cannot keep or apply: no
// ID, an amount outside [0, budget.MaxPico], no expiry, or charges that are
// not distinct (two charges to one counter would reserve twice).
func CheckReservation(r budget.Reservation) error {
	var vs fault.Violations
	if err := CheckKeyPart("reservation_id", r.ID); err != nil {
		vs.Add("reservation_id", "must be set and hold no NUL")
	}
	if r.AmountPico < 0 || r.AmountPico > budget.MaxPico {
		vs.Add("amount_pico", "must be in [0, %d], got %d", budget.MaxPico, r.AmountPico)
	}
	if r.ExpiresAt.IsZero() {
		vs.Add("expires_at", "is required: an unsettled reservation must expire")
	}
	type counter struct {
		ref    budget.Ref
		period string
	}
	seen := map[counter]bool{}
	for i, c := range r.Charges {
		if CheckBudgetRef(c.Budget) != nil || CheckKeyPart("period", c.Period) != nil {
			vs.Add("charges", "charge %d: the budget's scope, id and period must be set and hold no NUL", i)
		}
		if c.LimitPico <= 0 {
			vs.Add("charges", "charge %d: the limit must be above 0, got %d pico-dollars", i, c.LimitPico)
		}
		k := counter{c.Budget, c.Period}
		if seen[k] {
			vs.Add("charges", "charge %d: budget %s is charged twice for %s", i, c.Budget, c.Period)
		}
		seen[k] = true
	}
	return vs.Err()
}

// CheckActual rejects a settled cost outside [0, budget.MaxPico].
func CheckActual(actualPico int64) error {
	if actualPico < 0 || actualPico > budget.MaxPico {
		return fault.Invalid("actual_pico", "must be in [0, %d], got %d", budget.MaxPico, actualPico)
	}
	return nil
}

// Admits reports whether a budget period whose counter stands at committed
// takes amount more: the limit is inclusive, so committed + amount may
// reach it exactly. Stores test committed <= limit - amount, which cannot
// overflow.
func Admits(c budget.Charge, committed, amount int64) bool {
	return amount <= c.LimitPico && committed <= c.LimitPico-amount
}

// Exceeded is the refusal of amount by charge c, whose counter stood at
// spent and committed.
func Exceeded(c budget.Charge, amount, spent, committed int64) *budget.ExceededError {
	return &budget.ExceededError{
		Budget: c.Budget, Period: c.Period, PeriodEnd: c.PeriodEnd,
		LimitUSD: budget.USD(c.LimitPico), SpentUSD: budget.USD(spent),
		ReservedUSD: budget.USD(committed - spent), AmountUSD: budget.USD(amount),
	}
}

// UsageOf is b's state in its period containing at, from that period's
// counter. RemainingUSD is what a reservation may still take (limit -
// committed), never below 0; SpentUSD may pass the limit by what the last
// calls cost beyond their reservations.
func UsageOf(b budget.Budget, at time.Time, spent, committed int64) budget.Usage {
	key, start, end := budget.Window(b.Period, at)
	return budget.Usage{
		Budget: b, Period: key, PeriodStart: start, PeriodEnd: end,
		SpentUSD:     budget.USD(spent),
		ReservedUSD:  budget.USD(committed - spent),
		RemainingUSD: budget.USD(max(budget.LimitPico(b.LimitUSD)-committed, 0)),
	}
}

// TimeKey orders reservations and alerts by time in a store's keys: fixed
// width, so that byte order is time order (RFC 3339 drops trailing zeros).
func TimeKey(t time.Time) string { return t.UTC().Format("20060102T150405.000000000Z") }
