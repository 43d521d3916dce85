// Package experiment reports how the arms of an A/B split did: per arm, the
// calls, errors, cost and latency with 95% confidence intervals, and the
// difference between the arms, from the invocation log.
package experiment

import (
	"cmp"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/invocation"
)

// Z is the normal quantile of the 95% intervals.
const Z = 1.959963984540054

// Estimate is a value with its 95% confidence interval.
type Estimate struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// Arm is how one arm did.
type Arm struct {
	// Arm is "a" or "b" for a split, "" for calls routed without one.
	Arm      string `json:"arm"`
	Strategy string `json:"strategy"`
	Calls    int    `json:"calls"`
	Errors   int    `json:"errors"`
	// ErrorRate's interval is Wilson's score interval.
	ErrorRate Estimate `json:"error_rate"`
	Explored  int      `json:"explored"`
	Failovers int      `json:"failovers"`
	// ColdStarts counts calls the provider reported as cold.
	ColdStarts int `json:"cold_starts"`
	// Priced counts the calls with a cost; CostUSD is their mean cost per
	// call (normal interval) and TotalCostUSD their sum.
	Priced       int      `json:"priced"`
	CostUSD      Estimate `json:"cost_usd"`
	TotalCostUSD float64  `json:"total_cost_usd"`
	// Latency is what the caller waited (every attempt included): mean
	// (normal interval) and median and 95th percentile (distribution-free
	// order-statistic intervals).
	LatencyMeanMs Estimate                 `json:"latency_mean_ms"`
	LatencyP50Ms  Estimate                 `json:"latency_p50_ms"`
	LatencyP95Ms  Estimate                 `json:"latency_p95_ms"`
	ByProvider    map[catalog.Provider]int `json:"by_provider"`

	costs     moments
	latencies []float64
	latency   moments
}

// Difference is arm b minus arm a, with Welch's t intervals; Significant
// says the interval excludes zero (never with fewer than two calls an arm).
type Difference struct {
	CostUSD            Estimate `json:"cost_usd"`
	CostSignificant    bool     `json:"cost_significant"`
	LatencyMs          Estimate `json:"latency_ms"`
	LatencySignificant bool     `json:"latency_significant"`
}

// Report is an experiment's result.
type Report struct {
	Policy   string    `json:"policy"`
	Function string    `json:"function"`
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	// Records is how many of the records read were the policy's calls;
	// Truncated says the window held more records of the function than the
	// limit (the newest were read).
	Records   int   `json:"records"`
	Truncated bool  `json:"truncated"`
	Arms      []Arm `json:"arms"`
	// BMinusA compares the arms of a split when both have calls.
	BMinusA *Difference `json:"b_minus_a,omitempty"`
}

// moments accumulates a mean and variance (Welford).
type moments struct {
	n    int
	mean float64
	m2   float64
}

func (m *moments) add(x float64) {
	m.n++
	d := x - m.mean
	m.mean += d / float64(m.n)
	m.m2 += d * (x - m.mean)
}

func (m moments) variance() float64 {
	if m.n < 2 {
		return 0
	}
	return m.m2 / float64(m.n-1)
}

func (m moments) interval() Estimate {
	if m.n == 0 {
		return Estimate{}
	}
	h := Z * math.Sqrt(m.variance()/float64(m.n))
	return Estimate{Value: m.mean, Low: m.mean - h, High: m.mean + h}
}

// Builder accumulates the records of one policy.
type Builder struct {
	report Report
	arms   map[string]*Arm
}

// NewBuilder reports on the calls routed by policy (of function) between
// since and until.
func NewBuilder(policy, function string, since, until time.Time) *Builder {
	return &Builder{
		report: Report{Policy: policy, Function: function, Since: since.UTC(), Until: until.UTC(), Arms: []Arm{}},
		arms:   map[string]*Arm{},
	}
}

// Add counts one record; records of other policies are ignored.
func (b *Builder) Add(r invocation.Record) {
	if r.Decision.Policy != b.report.Policy {
		return
	}
	b.report.Records++
	// An arm whose strategy was changed mid-experiment is two arms.
	key := r.Decision.Arm + "\x00" + r.Decision.Strategy
	a := b.arms[key]
	if a == nil {
		a = &Arm{Arm: r.Decision.Arm, Strategy: r.Decision.Strategy, ByProvider: map[catalog.Provider]int{}}
		b.arms[key] = a
	}
	a.Calls++
	if r.ErrorOccurred {
		a.Errors++
	}
	if r.Decision.Explored {
		a.Explored++
	}
	if sent := sentAttempts(r.Attempts); sent > 1 {
		a.Failovers++
	}
	if r.ColdStart != nil && *r.ColdStart {
		a.ColdStarts++
	}
	if r.Provider != "" && !r.ErrorOccurred {
		a.ByProvider[r.Provider]++
	}
	if r.CostUSD != nil && !r.Unpriced {
		a.Priced++
		a.costs.add(*r.CostUSD)
		a.TotalCostUSD += *r.CostUSD
	}
	a.latency.add(r.TotalTimeMs)
	a.latencies = append(a.latencies, r.TotalTimeMs)
}

func sentAttempts(as []invocation.Attempt) int {
	n := 0
	for _, a := range as {
		if a.Outcome != invocation.Skipped {
			n++
		}
	}
	return n
}

// Truncated marks the report as covering only the newest records.
func (b *Builder) Truncated() { b.report.Truncated = true }

// Report finishes the report: arms in order ("" first, then a, b).
func (b *Builder) Report() Report {
	r := b.report
	r.Arms = make([]Arm, 0, len(b.arms))
	for _, a := range b.arms {
		a.ErrorRate = wilson(a.Errors, a.Calls)
		a.CostUSD = a.costs.interval()
		a.LatencyMeanMs = a.latency.interval()
		slices.Sort(a.latencies)
		a.LatencyP50Ms = quantile(a.latencies, 0.5)
		a.LatencyP95Ms = quantile(a.latencies, 0.95)
		r.Arms = append(r.Arms, *a)
	}
	slices.SortFunc(r.Arms, func(x, y Arm) int {
		return cmp.Or(cmp.Compare(x.Arm, y.Arm), cmp.Compare(x.Strategy, y.Strategy))
	})
	if a, bb := b.only("a"), b.only("b"); a != nil && bb != nil {
		d := &Difference{CostUSD: welch(a.costs, bb.costs), LatencyMs: welch(a.latency, bb.latency)}
		d.CostSignificant = a.costs.n > 1 && bb.costs.n > 1 && (d.CostUSD.Low > 0 || d.CostUSD.High < 0)
		d.LatencySignificant = a.latency.n > 1 && bb.latency.n > 1 && (d.LatencyMs.Low > 0 || d.LatencyMs.High < 0)
		r.BMinusA = d
	}
	return r
}

// only is the arm named name when one strategy ran it in the window (nil
// otherwise: there is no single pair to compare).
func (b *Builder) only(name string) *Arm {
	var found *Arm
	for _, a := range b.arms {
		if a.Arm == name {
			if found != nil {
				return nil
			}
			found = a
		}
	}
	return found
}

// wilson is the Wilson score interval of k successes in n trials.
func wilson(k, n int) Estimate {
	if n == 0 {
		return Estimate{}
	}
	p := float64(k) / float64(n)
	nn := float64(n)
	z2 := Z * Z
	centre := (p + z2/(2*nn)) / (1 + z2/nn)
	h := Z / (1 + z2/nn) * math.Sqrt(p*(1-p)/nn+z2/(4*nn*nn))
	return Estimate{Value: p, Low: math.Max(0, centre-h), High: math.Min(1, centre+h)}
}

// quantile is the q-quantile of sorted xs (nearest rank) with the
// distribution-free interval between the order statistics whose ranks are
// n·q ∓ Z·sqrt(n·q·(1−q)).
func quantile(xs []float64, q float64) Estimate {
	n := len(xs)
	if n == 0 {
		return Estimate{}
	}
	at := func(rank float64) float64 {
		i := int(math.Ceil(rank)) - 1
		return xs[min(max(i, 0), n-1)]
	}
	nq := float64(n) * q
	h := Z * math.Sqrt(nq*(1-q))
	return Estimate{Value: at(nq), Low: at(nq - h), High: at(nq + h + 1)}
}

// welch is the difference of means y − x with Welch's interval: Student's
// t at the Welch–Satterthwaite degrees of freedom, so that small arms get
// the wide intervals they deserve.
func welch(x, y moments) Estimate {
	if x.n == 0 || y.n == 0 {
		return Estimate{}
	}
	d := y.mean - x.mean
	vx, vy := x.variance()/float64(x.n), y.variance()/float64(y.n)
	se := math.Sqrt(vx + vy)
	if se == 0 {
		return Estimate{Value: d, Low: d, High: d}
	}
	df := (vx + vy) * (vx + vy) / (vx*vx/float64(max(x.n-1, 1)) + vy*vy/float64(max(y.n-1, 1)))
	h := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(0.975) * se
	return Estimate{Value: d, Low: d - h, High: d + h}
}
