// Package budget is FISO's spending limits: budgets per team, function, API
// key or for everything, each over a day or a calendar month (UTC), with a
// hard limit in US dollars and alert thresholds. Calls reserve their
// predicted cost against every budget that applies before they run and
// settle the actual cost after; the stores make each reservation an atomic
// conditional write, so a limit holds across every concurrent control-plane
// instance.
package budget

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
)

// Scope is what a budget limits.
type Scope string

// Scopes.
const (
	Global   Scope = "global"
	Team     Scope = "team"
	Function Scope = "function"
	Key      Scope = "key"
)

// Scopes lists them in the order a refusal names them (the narrowest
// first).
func Scopes() []Scope { return []Scope{Key, Function, Team, Global} }

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return slices.Contains(Scopes(), s) }

// GlobalID is the ID of the one global budget.
const GlobalID = "all"

// Period is how often a budget starts again.
type Period string

// Periods: a UTC calendar day or month. A new period starts with nothing
// spent; no job resets anything (the period is part of every counter's key).
const (
	Day   Period = "day"
	Month Period = "month"
)

// DefaultThresholds are the alert thresholds (percent of the limit) of a
// budget that names none.
func DefaultThresholds() []float64 { return []float64{50, 80, 100} }

// Budget is one spending limit.
type Budget struct {
	Scope Scope `json:"scope"`
	// ID is the team name, function name or API key ID; GlobalID for the
	// global budget.
	ID       string  `json:"id"`
	Period   Period  `json:"period"`
	LimitUSD float64 `json:"limit_usd"`
	// Thresholds are percents of the limit, ascending, in (0, 100], at which
	// an alert is sent once per period.
	Thresholds []float64 `json:"thresholds"`
	Version    int64     `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Ref names a budget.
type Ref struct {
	Scope Scope  `json:"scope"`
	ID    string `json:"id"`
}

// String is "scope/id".
func (r Ref) String() string { return string(r.Scope) + "/" + r.ID }

// Ref returns b's name.
func (b Budget) Ref() Ref { return Ref{Scope: b.Scope, ID: b.ID} }

// MaxLimitUSD bounds a limit: a million dollars a period, far above any
// real budget of serverless calls, and far enough below where int64
// pico-dollar counters overflow ($9.2 million) that spend past a limit
// still fits.
const MaxLimitUSD = 1e6

// MaxPico is the most one amount (a reservation, a settled cost) may be:
// MaxLimitUSD in pico-dollars.
const MaxPico int64 = 1e18

// Normalize lower-cases the scope and period, fills the default thresholds
// and sorts them.
func (b *Budget) Normalize() {
	b.Scope = Scope(strings.ToLower(strings.TrimSpace(string(b.Scope))))
	b.Period = Period(strings.ToLower(strings.TrimSpace(string(b.Period))))
	if b.Period == "" {
		b.Period = Month
	}
	if b.Scope == Global && b.ID == "" {
		b.ID = GlobalID
	}
	if len(b.Thresholds) == 0 {
		b.Thresholds = DefaultThresholds()
	}
	b.Thresholds = slices.Sorted(slices.Values(b.Thresholds)) // a copy: the caller's slice stays as it was
}

// Validate checks a normalized budget.
func (b *Budget) Validate() error {
	var vs fault.Violations
	switch {
	case !b.Scope.Valid():
		vs.Add("scope", "%q is not one of global, team, function, key", b.Scope)
	case b.Scope == Global && b.ID != GlobalID:
		vs.Add("id", "the global budget's id is %q", GlobalID)
	case b.Scope == Key && !keyIDPattern(b.ID):
		vs.Add("id", "must be an API key ID (16 hex digits)")
	case b.Scope == Team || b.Scope == Function:
		if msg := catalog.NameProblem(string(b.Scope), b.ID); msg != "" {
			vs.Add("id", "%s", msg)
		}
	}
	if b.Period != Day && b.Period != Month {
		vs.Add("period", "%q is not day or month", b.Period)
	}
	if math.IsNaN(b.LimitUSD) || b.LimitUSD <= 0 || b.LimitUSD > MaxLimitUSD {
		vs.Add("limit_usd", "must be a number of US dollars above 0 and at most %g", float64(MaxLimitUSD))
	}
	if len(b.Thresholds) > 10 {
		vs.Add("thresholds", "at most 10 thresholds")
	}
	for i, t := range b.Thresholds {
		switch {
		case math.IsNaN(t) || t <= 0 || t > 100:
			vs.Add(fmt.Sprintf("thresholds[%d]", i), "must be a percent of the limit in (0, 100]")
		case i > 0 && t == b.Thresholds[i-1]:
			vs.Add(fmt.Sprintf("thresholds[%d]", i), "%g is listed twice", t)
		}
	}
	return vs.Err()
}

func keyIDPattern(id string) bool {
	if len(id) != 16 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Window returns the period of p that contains t: its key ("2026-11" for a
// month, "2026-11-26" for a day) and its bounds [start, end) in UTC.
func Window(p Period, t time.Time) (key string, start, end time.Time) {
	y, m, d := t.UTC().Date()
	if p == Day {
		start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return start.Format(time.DateOnly), start, start.AddDate(0, 0, 1)
	}
	start = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	return start.Format("2006-01"), start, start.AddDate(0, 1, 0)
}

// Subject is who a call is charged to.
type Subject struct {
	Team, KeyID, Function string
}

// Refs are the budgets that may apply to a call of s: its key, its function,
// its team (when it has one) and the global budget.
func (s Subject) Refs() []Ref {
	out := make([]Ref, 0, 4)
	if s.KeyID != "" {
		out = append(out, Ref{Key, s.KeyID})
	}
	if s.Function != "" {
		out = append(out, Ref{Function, s.Function})
	}
	if s.Team != "" {
		out = append(out, Ref{Team, s.Team})
	}
	return append(out, Ref{Global, GlobalID})
}

// Applicable returns the budgets of all that apply to s, narrowest first.
func Applicable(all []Budget, s Subject) []Budget {
	var out []Budget
	for _, r := range s.Refs() {
		for _, b := range all {
			if b.Ref() == r {
				out = append(out, b)
			}
		}
	}
	return out
}

// PicoUSD converts dollars to pico-dollars, the unit of every counter (they
// add exactly), rounding up: a reservation never undercounts. NaN and
// amounts at or below zero are 0; amounts above MaxPico are MaxPico (a
// conversion to int64 out of its range is undefined in Go).
func PicoUSD(usd float64) int64 {
	switch {
	case !(usd > 0):
		return 0
	case usd >= USD(MaxPico):
		return MaxPico
	}
	return int64(math.Ceil(usd * 1e12))
}

// LimitPico converts a limit in dollars to pico-dollars, to the nearest:
// a limit is a decimal someone typed (1e-9 * 1e12 is 1000.0000000000001 in
// floating point, which PicoUSD would take up to 1001).
func LimitPico(usd float64) int64 {
	switch {
	case !(usd > 0):
		return 0
	case usd >= USD(MaxPico):
		return MaxPico
	}
	return int64(math.Round(usd * 1e12))
}

// USD converts pico-dollars to dollars.
func USD(pico int64) float64 { return float64(pico) / 1e12 }

// Charge is one budget's part of a reservation: the budget, the period it is
// charged to, and its limit and thresholds then.
type Charge struct {
	Budget     Ref       `json:"budget"`
	Period     string    `json:"period"`
	PeriodEnd  time.Time `json:"period_end"`
	LimitPico  int64     `json:"limit_pico"`
	Thresholds []float64 `json:"thresholds"`
}

// Reservation holds a call's predicted cost against every budget that
// applies, until the call settles it or it expires.
type Reservation struct {
	ID         string    `json:"id"`
	Charges    []Charge  `json:"charges"`
	AmountPico int64     `json:"amount_pico"`
	CreatedAt  time.Time `json:"created_at"`
	// ExpiresAt is when a sweeper may release it: a control plane that died
	// mid-call never settles.
	ExpiresAt time.Time `json:"expires_at"`
}

// NewReservation charges amountUSD of a call at t to budgets, each in its
// period containing t. It reserves at least one pico-dollar: a call
// predicted to cost nothing (or that nothing could price) is still refused
// by a budget whose limit is all committed.
func NewReservation(id string, budgets []Budget, amountUSD float64, t time.Time, ttl time.Duration) Reservation {
	r := Reservation{ID: id, AmountPico: max(PicoUSD(amountUSD), 1), CreatedAt: t.UTC(), ExpiresAt: t.Add(ttl).UTC()}
	for _, b := range budgets {
		key, _, end := Window(b.Period, t)
		r.Charges = append(r.Charges, Charge{Budget: b.Ref(), Period: key, PeriodEnd: end, LimitPico: LimitPico(b.LimitUSD), Thresholds: b.Thresholds})
	}
	return r
}

// ErrExceeded is what a refused reservation's error matches.
var ErrExceeded = errors.New("budget exceeded")

// ExceededError is a reservation refused because it would take a budget
// past its limit.
type ExceededError struct {
	Budget    Ref
	Period    string
	PeriodEnd time.Time
	LimitUSD  float64
	// SpentUSD is settled spend; ReservedUSD what calls in flight hold.
	SpentUSD    float64
	ReservedUSD float64
	// AmountUSD is what the refused call would have reserved.
	AmountUSD float64
}

func (e *ExceededError) Error() string {
	return fmt.Sprintf("budget %s is exhausted for %s: limit $%.6f, spent $%.6f, reserved by calls in flight $%.6f, this call needs $%.9f; it starts again at %s",
		e.Budget, e.Period, e.LimitUSD, e.SpentUSD, e.ReservedUSD, e.AmountUSD, e.PeriodEnd.Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrExceeded) hold.
func (e *ExceededError) Unwrap() error { return ErrExceeded }

// Usage is a budget's state in one period.
type Usage struct {
	Budget       Budget    `json:"budget"`
	Period       string    `json:"period"`
	PeriodStart  time.Time `json:"period_start"`
	PeriodEnd    time.Time `json:"period_end"`
	SpentUSD     float64   `json:"spent_usd"`
	ReservedUSD  float64   `json:"reserved_usd"`
	RemainingUSD float64   `json:"remaining_usd"`
}

// Crossing is a threshold a settlement took a budget's spend across, or
// (Refusing) the budget's first refusal of a call in a period.
type Crossing struct {
	Budget    Ref     `json:"budget"`
	Period    string  `json:"period"`
	Threshold float64 `json:"threshold"`
	SpentUSD  float64 `json:"spent_usd"`
	LimitUSD  float64 `json:"limit_usd"`
	// Refusing: the budget refused a call, its committed spend (settled
	// plus held by calls in flight) leaving no room for it. It counts as
	// the 100% threshold, whether or not spend reached the limit.
	Refusing bool `json:"refusing,omitempty"`
}

// RefusalOf is the crossing a refusal stands for.
func RefusalOf(e *ExceededError) Crossing {
	return Crossing{Budget: e.Budget, Period: e.Period, Threshold: 100, SpentUSD: e.SpentUSD, LimitUSD: e.LimitUSD, Refusing: true}
}

// Crossed returns the thresholds of c that spend moving from before to
// after (pico-dollars) crossed: t% is crossed when before < t% of the limit
// <= after, t% of the limit rounded up to a whole pico-dollar. Settlements
// add to spend atomically, so the (before, after] of concurrent
// settlements never overlap and each threshold is crossed by exactly one
// of them.
func (c Charge) Crossed(before, after int64) []Crossing {
	var out []Crossing
	for _, t := range c.Thresholds {
		at := thresholdPico(c.LimitPico, t)
		if before < at && at <= after {
			out = append(out, Crossing{Budget: c.Budget, Period: c.Period, Threshold: t, SpentUSD: USD(after), LimitUSD: USD(c.LimitPico)})
		}
	}
	return out
}

// Alert is one threshold crossed, sent once per budget, period and
// threshold.
type Alert struct {
	// ID is derived from the budget, period and threshold, so that the
	// same crossing always has the same ID.
	ID        string  `json:"id"`
	Budget    Ref     `json:"budget"`
	Period    string  `json:"period"`
	Threshold float64 `json:"threshold"`
	SpentUSD  float64 `json:"spent_usd"`
	LimitUSD  float64 `json:"limit_usd"`
	// Refusing: sent when the budget first refused a call in the period
	// (see Crossing).
	Refusing bool      `json:"refusing,omitempty"`
	At       time.Time `json:"at"`
}

// AlertOf is the alert of a crossing at t.
func AlertOf(c Crossing, t time.Time) Alert {
	return Alert{
		ID:     fmt.Sprintf("%s/%s/%s/%g", c.Budget.Scope, c.Budget.ID, c.Period, c.Threshold),
		Budget: c.Budget, Period: c.Period, Threshold: c.Threshold, SpentUSD: c.SpentUSD, LimitUSD: c.LimitUSD,
		Refusing: c.Refusing, At: t.UTC(),
	}
}

// thresholdPico is t% of limit rounded up, computed exactly: a limit above
// $9,007 is more pico-dollars than a float64 holds exactly, and the 100%
// threshold must be the limit itself.
func thresholdPico(limit int64, t float64) int64 {
	if t >= 0 && t <= 100 && t == math.Trunc(t) { // the usual case, without allocating
		n := int64(t)
		return limit/100*n + (limit%100*n+99)/100
	}
	pct := new(big.Rat).SetFloat64(t) // thresholds are validated finite
	if pct == nil {
		return math.MaxInt64
	}
	x := pct.Mul(pct, new(big.Rat).SetInt64(limit))
	x.Quo(x, big.NewRat(100, 1))
	q, r := new(big.Int).QuoRem(x.Num(), x.Denom(), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return math.MaxInt64
	}
	return q.Int64()
}
