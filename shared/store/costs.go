package store

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
)

// Dimension is what cost aggregates are grouped by.
type Dimension string

// The dimensions every invocation is counted under.
const (
	ByProvider Dimension = "provider"
	ByFunction Dimension = "function"
	ByTeam     Dimension = "team"
	// ByDay groups by calendar day (UTC) across everything.
	ByDay Dimension = "day"
)

// Dimensions lists them.
func Dimensions() []Dimension { return []Dimension{ByProvider, ByFunction, ByTeam, ByDay} }

// NoTeam, NoProvider and AllCalls are the group values of calls without a
// team, of calls that tried no deployment, and of the by-day totals.
const (
	NoTeam     = "(none)"
	NoProvider = "(none)"
	AllCalls   = "all"
)

// CostQuery selects aggregates: the UTC days from From up to To (exclusive;
// both are truncated to days), grouped by one dimension.
type CostQuery struct {
	From, To time.Time
	GroupBy  Dimension
}

// MaxCostDays bounds one query.
const MaxCostDays = 400

// CostRow is one group's totals. For ByDay, Group is the day (YYYY-MM-DD).
type CostRow struct {
	Group string `json:"group"`
	// CostUSD is the list-price cost of every billed attempt.
	CostUSD     float64 `json:"cost_usd"`
	Invocations int64   `json:"invocations"`
	Errors      int64   `json:"errors"`
	// Unpriced counts invocations that could not be priced (no rate card).
	Unpriced int64 `json:"unpriced"`
}

// CostDelta is what one invocation adds to one aggregate.
type CostDelta struct {
	Dimension Dimension
	Value     string
	// PicoUSD is the cost in 10^-12 dollars: integers add exactly.
	PicoUSD     int64
	Invocations int64
	Errors      int64
	Unpriced    int64
}

// PicoUSD converts dollars to whole pico-dollars, rounding half away from zero.
func PicoUSD(usd float64) int64 { return int64(math.Round(usd * 1e12)) }

// USD converts pico-dollars back.
func USD(pico int64) float64 { return float64(pico) / 1e12 }

// CostDeltas is how a record counts: once under its function, its team and
// the day's total, and under each provider for the attempts billed there (a
// failover can cost on two clouds) with the invocation counted under the
// provider that answered (or was tried last). It is unpriced when a billed
// attempt has no cost (Unpriced) or nothing priced it at all.
func CostDeltas(r invocation.Record) []CostDelta {
	base := CostDelta{Invocations: 1}
	if r.ErrorOccurred {
		base.Errors = 1
	}
	if r.CostUSD != nil {
		base.PicoUSD = PicoUSD(*r.CostUSD)
	}
	if r.CostUSD == nil || r.Unpriced {
		base.Unpriced = 1
	}
	team := r.Team
	if team == "" {
		team = NoTeam
	}
	out := make([]CostDelta, 0, 5)
	for _, d := range []struct {
		dim   Dimension
		value string
	}{{ByFunction, r.FunctionName}, {ByTeam, team}, {ByDay, AllCalls}} {
		c := base
		c.Dimension, c.Value = d.dim, d.value
		out = append(out, c)
	}
	byProvider := map[string]*CostDelta{}
	var order []string
	add := func(provider string) *CostDelta {
		if c, ok := byProvider[provider]; ok {
			return c
		}
		c := &CostDelta{Dimension: ByProvider, Value: provider}
		byProvider[provider] = c
		order = append(order, provider)
		return c
	}
	provider := string(r.Provider)
	if provider == "" {
		provider = NoProvider // no deployment was tried
	}
	c := add(provider)
	c.Invocations, c.Errors, c.Unpriced = base.Invocations, base.Errors, base.Unpriced
	for _, a := range r.Attempts {
		if a.CostUSD != nil {
			add(string(a.Provider)).PicoUSD += PicoUSD(*a.CostUSD)
		}
	}
	for _, p := range order {
		out = append(out, *byProvider[p])
	}
	return out
}

// Days returns the UTC days of q, or why q cannot be answered.
func (q CostQuery) Days() ([]time.Time, error) {
	var vs fault.Violations
	known := false
	for _, d := range Dimensions() {
		known = known || d == q.GroupBy
	}
	if !known {
		vs.Add("group_by", "%q is not one of provider, function, team, day", q.GroupBy)
	}
	from, to := Day(q.From), Day(q.To)
	if !from.Before(to) {
		vs.Add("from", "must be a day before to")
	} else if n := int(to.Sub(from).Hours() / 24); n > MaxCostDays {
		vs.Add("to", "a query spans at most %d days, this one %d", MaxCostDays, n)
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	var days []time.Time
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		days = append(days, d)
	}
	return days, nil
}

// Day truncates t to its UTC day.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Totals sums aggregates into rows. Each aggregate's pico-dollars are exact;
// the sums are kept in dollars, so that no total can overflow.
type Totals struct{ groups map[string]*CostRow }

// Add counts one aggregate under group.
func (t *Totals) Add(group string, d CostDelta) {
	if t.groups == nil {
		t.groups = map[string]*CostRow{}
	}
	g, ok := t.groups[group]
	if !ok {
		g = &CostRow{Group: group}
		t.groups[group] = g
	}
	g.CostUSD += USD(d.PicoUSD)
	g.Invocations += d.Invocations
	g.Errors += d.Errors
	g.Unpriced += d.Unpriced
}

// Rows returns the totals ordered by group.
func (t *Totals) Rows() []CostRow {
	out := make([]CostRow, 0, len(t.groups))
	for _, g := range t.groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b CostRow) int { return strings.Compare(a.Group, b.Group) })
	return out
}

// Sum adds rows up into one row named group.
func Sum(group string, rows []CostRow) CostRow {
	total := CostRow{Group: group}
	for _, r := range rows {
		total.CostUSD += r.CostUSD
		total.Invocations += r.Invocations
		total.Errors += r.Errors
		total.Unpriced += r.Unpriced
	}
	return total
}
