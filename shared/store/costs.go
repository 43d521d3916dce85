package store

import (
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
)

// Dimension is what cost aggregates are grouped by.
type Dimension string

// The dimensions invocations are counted under.
const (
	// ByProvider and ByRegion count each billed attempt's cost under the
	// provider (region) it ran on, and the invocation under the one that
	// answered (or was tried last).
	ByProvider Dimension = "provider"
	ByFunction Dimension = "function"
	ByTeam     Dimension = "team"
	// ByDay groups by calendar day (UTC) across everything.
	ByDay Dimension = "day"
	// ByKey groups by the API key that made the call (its ID).
	ByKey    Dimension = "key"
	ByRegion Dimension = "region"
	// ByTag counts a call under each of its tags, as "key=value"; calls
	// without tags are not counted under it, and a call with several tags
	// is counted under each, so its groups do not add up to the total.
	ByTag Dimension = "tag"
)

// Dimensions lists them.
func Dimensions() []Dimension {
	return []Dimension{ByProvider, ByFunction, ByTeam, ByDay, ByKey, ByRegion, ByTag}
}

// NoTeam, NoProvider, NoKey and NoRegion are the group values of calls
// without a team, of calls that tried no deployment and of calls without an
// API key; AllCalls is the group value of the by-day totals.
const (
	NoTeam     = "(none)"
	NoProvider = "(none)"
	NoKey      = "(none)"
	NoRegion   = "(none)"
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
	// BaselineUSD is what the BaselineCalls calls that had a baseline
	// (invocation.Record.BaselineCostUSD) would have cost on their policy's
	// static default deployment. When every call had one (BaselineCalls ==
	// Invocations) BaselineUSD - CostUSD is what routing saved. ByProvider
	// and ByRegion count it under the answering provider and region only.
	BaselineUSD   float64 `json:"baseline_usd"`
	BaselineCalls int64   `json:"baseline_calls"`
	// SavedUSD is BaselineUSD minus what those same calls cost: what routing
	// saved on them (negative when it cost more).
	SavedUSD float64 `json:"saved_usd"`
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
	// BaselinePicoUSD is the baseline cost in pico-dollars of the
	// BaselineCalls (0 or 1 per record) that had one.
	BaselinePicoUSD int64
	BaselineCalls   int64
	// SavedPicoUSD is the baseline minus the record's cost, for records
	// with a baseline.
	SavedPicoUSD int64
}

// PicoUSD converts dollars to whole pico-dollars, rounding half away from zero.
func PicoUSD(usd float64) int64 { return int64(math.Round(usd * 1e12)) }

// USD converts pico-dollars back.
func USD(pico int64) float64 { return float64(pico) / 1e12 }

// CostDeltas is how a record counts: once under its function, its team, its
// API key and the day's total, once under each of its tags (only tags
// invocation.TagProblem accepts, at most invocation.MaxTags in key order),
// and under each provider and region for the attempts billed there (a
// failover can cost on two clouds) with the invocation and its baseline
// counted under the provider and region that answered (or were tried last).
// It is unpriced when a billed attempt has no cost (Unpriced) or nothing
// priced it at all.
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
	if r.BaselineCostUSD != nil {
		base.BaselinePicoUSD, base.BaselineCalls = PicoUSD(*r.BaselineCostUSD), 1
		base.SavedPicoUSD = base.BaselinePicoUSD - base.PicoUSD
	}
	tags := countedTags(r.Tags)
	out := make([]CostDelta, 0, 6+len(tags))
	for _, d := range []struct {
		dim   Dimension
		value string
	}{{ByFunction, r.FunctionName}, {ByTeam, or(r.Team, NoTeam)}, {ByDay, AllCalls}, {ByKey, or(r.KeyID, NoKey)}} {
		c := base
		c.Dimension, c.Value = d.dim, d.value
		out = append(out, c)
	}
	for _, t := range tags {
		c := base
		c.Dimension, c.Value = ByTag, t
		out = append(out, c)
	}
	// An empty answering provider (region): no deployment was tried.
	out = append(out, billedUnder(ByProvider, or(string(r.Provider), NoProvider), base, r.Attempts,
		func(a invocation.Attempt) string { return or(string(a.Provider), NoProvider) })...)
	out = append(out, billedUnder(ByRegion, or(r.Region, NoRegion), base, r.Attempts,
		func(a invocation.Attempt) string { return or(a.Region, NoRegion) })...)
	return out
}

// billedUnder splits a record over the values of a dimension its attempts
// ran under: the whole invocation under answered, each billed attempt's
// cost under its own value.
func billedUnder(dim Dimension, answered string, base CostDelta, attempts []invocation.Attempt, valueOf func(invocation.Attempt) string) []CostDelta {
	first := base
	first.Dimension, first.Value, first.PicoUSD = dim, answered, 0
	out := []CostDelta{first}
	for _, a := range attempts {
		if a.CostUSD == nil {
			continue
		}
		v := valueOf(a)
		i := slices.IndexFunc(out, func(c CostDelta) bool { return c.Value == v })
		if i < 0 {
			out = append(out, CostDelta{Dimension: dim, Value: v})
			i = len(out) - 1
		}
		out[i].PicoUSD += PicoUSD(*a.CostUSD)
	}
	return out
}

// countedTags are the "key=value" groups of tags, in key order.
func countedTags(tags map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if len(out) == invocation.MaxTags {
			break
		}
		if invocation.TagProblem(k, tags[k]) == "" {
			out = append(out, k+"="+tags[k])
		}
	}
	return out
}

func or(v, none string) string {
	if v == "" {
		return none
	}
	return v
}

// Days returns the UTC days of q, or why q cannot be answered.
func (q CostQuery) Days() ([]time.Time, error) {
	var vs fault.Violations
	known := false
	for _, d := range Dimensions() {
		known = known || d == q.GroupBy
	}
	if !known {
		vs.Add("group_by", "%q is not one of %s", q.GroupBy, dimensionList(Dimensions()))
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
	g.BaselineUSD += USD(d.BaselinePicoUSD)
	g.BaselineCalls += d.BaselineCalls
	g.SavedUSD += USD(d.SavedPicoUSD)
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
		total.BaselineUSD += r.BaselineUSD
		total.BaselineCalls += r.BaselineCalls
		total.SavedUSD += r.SavedUSD
	}
	return total
}

func dimensionList(dims []Dimension) string {
	names := make([]string, len(dims))
	for i, d := range dims {
		names[i] = string(d)
	}
	return strings.Join(names, ", ")
}

// HourlyCost is one hour's spend of one group.
type HourlyCost struct {
	// Hour is the hour's start, UTC.
	Hour        time.Time `json:"hour"`
	CostUSD     float64   `json:"cost_usd"`
	Invocations int64     `json:"invocations"`
}

// HourlyDimensions are the dimensions with hourly counters: a function, a
// team (NoTeam for calls without one) and ByDay, whose one value AllCalls
// is every call. Each is one more write per invocation, so the others have
// none.
func HourlyDimensions() []Dimension { return []Dimension{ByFunction, ByTeam, ByDay} }

// MaxHourlyDays bounds one hourly query (1,488 hours).
const MaxHourlyDays = 62

// Hour truncates t to its UTC hour.
func Hour(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

// HourlyRange returns the hours [first, end) of an hourly query (from and to
// truncated to hours), or why it cannot be answered.
func HourlyRange(dim Dimension, value string, from, to time.Time) (first, end time.Time, err error) {
	var vs fault.Violations
	if !slices.Contains(HourlyDimensions(), dim) {
		vs.Add("dimension", "%q has no hourly counters; use one of %s", dim, dimensionList(HourlyDimensions()))
	}
	if value == "" {
		vs.Add("value", "is required")
	}
	first, end = Hour(from), Hour(to)
	if !first.Before(end) {
		vs.Add("from", "must be an hour before to")
	} else if end.Sub(first) > MaxHourlyDays*24*time.Hour {
		vs.Add("to", "an hourly query spans at most %d days, this one %.0f hours", MaxHourlyDays, end.Sub(first).Hours())
	}
	if err := vs.Err(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return first, end, nil
}

// HourlyDeltas is how a record counts by the hour: its cost and the
// invocation under each of HourlyDimensions, in the hour of its timestamp.
// Only PicoUSD and Invocations are kept by the hour.
func HourlyDeltas(r invocation.Record) []CostDelta {
	var pico int64
	if r.CostUSD != nil {
		pico = PicoUSD(*r.CostUSD)
	}
	return []CostDelta{
		{Dimension: ByFunction, Value: r.FunctionName, PicoUSD: pico, Invocations: 1},
		{Dimension: ByTeam, Value: or(r.Team, NoTeam), PicoUSD: pico, Invocations: 1},
		{Dimension: ByDay, Value: AllCalls, PicoUSD: pico, Invocations: 1},
	}
}

// Hours sums hourly counters (of several shards) into HourlyCosts.
type Hours struct{ hours map[time.Time]*HourlyCost }

// Add counts pico-dollars and invocations in hour.
func (h *Hours) Add(hour time.Time, picoUSD, invocations int64) {
	if picoUSD == 0 && invocations == 0 {
		return
	}
	if h.hours == nil {
		h.hours = map[time.Time]*HourlyCost{}
	}
	hour = Hour(hour)
	c, ok := h.hours[hour]
	if !ok {
		c = &HourlyCost{Hour: hour}
		h.hours[hour] = c
	}
	c.CostUSD += USD(picoUSD)
	c.Invocations += invocations
}

// Rows returns the hours with anything counted, oldest first.
func (h *Hours) Rows() []HourlyCost {
	out := make([]HourlyCost, 0, len(h.hours))
	for _, c := range h.hours {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b HourlyCost) int { return a.Hour.Compare(b.Hour) })
	return out
}
