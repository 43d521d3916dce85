package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/route"
	"github.com/fiso-dev/fiso/shared/trace"
)

// lognormalTable is the size of a lognormal's quantile table.
const lognormalTable = 4096

// lognormal is a Dist ready to draw from: its quantiles at 4,096 equally
// spaced probabilities, interpolated linearly, and exact in the two outer
// intervals where the curve bends most.
type lognormal struct {
	median, sigma float64
	table         []float64 // table[i] = quantile(i / lognormalTable)
}

func newLognormal(d Dist) *lognormal {
	l := &lognormal{median: d.Median}
	if d.Median <= 0 || d.P95 <= d.Median {
		return l
	}
	l.sigma = math.Log(d.P95/d.Median) / z95
	l.table = make([]float64, lognormalTable+1)
	for i := 1; i < lognormalTable; i++ {
		l.table[i] = l.exact(float64(i) / lognormalTable)
	}
	return l
}

func (l *lognormal) exact(u float64) float64 {
	u = min(max(u, 1e-12), 1-1e-12)
	return l.median * math.Exp(l.sigma*math.Sqrt2*math.Erfinv(2*u-1))
}

func (l *lognormal) quantile(u float64) float64 {
	if l.sigma == 0 {
		return l.median
	}
	x := u * lognormalTable
	i := int(x)
	if i < 1 || i >= lognormalTable-1 {
		return l.exact(u)
	}
	f := x - float64(i)
	return l.table[i] + f*(l.table[i+1]-l.table[i])
}

// depModel is one function's deployment on one cloud, ready to replay.
type depModel struct {
	m        *ProviderModel
	d        catalog.Deployment
	overDist *lognormal
	coldDist *lognormal
	keepMs   float64
	billing  pricing.Billing
	observed int
	// The billed cost of an attempt is fixed + perMs * billed duration: a
	// card's price is linear in the billed duration at a fixed memory. The
	// coefficients come from the card itself (linearCost), so the rounding
	// stays the card's.
	fixed, perMs float64

	// The function's duration strata on this cloud (2019): the warm latency
	// and the billed cost of each of K equally likely points.
	warmLat     []float64
	warmCost    []float64
	warmCostSum float64
	warmViol    uint64 // points above the SLO
	warmBuckets []bucketWeight

	// warm and cold are the estimates the router gets for a warm and a cold
	// deployment (Samples and Confident are set per call).
	warm, cold route.Estimate
}

// cost is the billed cost of an attempt that ran ms.
func (dm *depModel) cost(ms float64) float64 {
	b, err := dm.billing.BilledDurationMs(ms)
	if err != nil {
		b = dm.billing.MinDurationMs
	}
	return dm.fixed + dm.perMs*b
}

// linearCost derives the cost line of a card at a memory from two of the
// card's own prices, far above every plan's minimum billed duration.
func linearCost(card pricing.Card, memMB, observedMB int) (fixed, perMs float64, err error) {
	const d1, d2 = 10_000, 20_000
	c1, err := card.Cost(pricing.Usage{DurationMs: d1, MemoryMB: memMB, ObservedMemoryMB: observedMB})
	if err != nil {
		return 0, 0, fmt.Errorf("price %d MB: %w", memMB, err)
	}
	c2, err := card.Cost(pricing.Usage{DurationMs: d2, MemoryMB: memMB, ObservedMemoryMB: observedMB})
	if err != nil {
		return 0, 0, fmt.Errorf("price %d MB: %w", memMB, err)
	}
	perMs = (c2.TotalUSD - c1.TotalUSD) / (c2.BilledDurationMs - c1.BilledDurationMs)
	return c1.TotalUSD - perMs*c1.BilledDurationMs, perMs, nil
}

// fnModel is one trace function deployed on the three clouds.
type fnModel struct {
	fn   catalog.Function
	deps [nProv]depModel
	dist trace.Distribution
	durK []float64 // the K strata's mean execution times (trace ms)

	// oracles are the oracle's and the floor's choices per stratum.
	oracles [2]oracleStrata
}

// oracleStrata is an oracle's choice for each stratum with every deployment
// warm, and its totals per cloud: strata chosen, cost, latencies over the
// SLO and their buckets.
type oracleStrata struct {
	count   [nProv]uint64
	cost    [nProv]float64
	viol    uint64
	buckets []bucketWeight
	strata  [nProv][]int
}

// deploymentIDs are the fixed IDs of the three deployments of every
// simulated function.
func deploymentID(p catalog.Provider, region string) string { return string(p) + "-" + region }

// setup prices the function's deployments for its app memory.
func (e *engine) setup(fm *fnModel, name string, mem trace.Memory) error {
	fm.fn = catalog.Function{Name: name, Deployments: make([]catalog.Deployment, nProv)}
	short := name
	if len(short) > 16 {
		short = short[:16]
	}
	for j, m := range e.cfg.Providers.Models() {
		p := providers[j]
		cfgMB, obsMB, err := m.Memory.Map(mem)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		target := "https://simulated.invalid/" + short
		if p == catalog.AWS {
			target = "sim-" + short
		}
		d := catalog.Deployment{ID: deploymentID(p, m.Region), Provider: p, Region: m.Region, Target: target,
			MemoryMB: cfgMB, Arch: m.Arch, Plan: m.Plan}
		fm.fn.Deployments[j] = d
		dm := &fm.deps[j]
		card := e.cards[j]
		fixed, perMs, err := linearCost(card, cfgMB, obsMB)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		*dm = depModel{
			m: m, d: d, overDist: e.over[j], coldDist: e.cold[j],
			keepMs: m.KeepAliveMinutes * 60_000, billing: card.Billing, observed: obsMB,
			fixed: fixed, perMs: perMs,
			warmLat: dm.warmLat[:0], warmCost: dm.warmCost[:0],
		}
	}
	return nil
}

// strata computes a 2019 function's duration strata on every cloud, the
// estimates the router gets, and the oracle's choices. rng pairs the strata
// of duration, overhead and cold start at random (Latin hypercube).
func (e *engine) strata(fm *fnModel, rng *rand.Rand) {
	k := e.cfg.Strata
	fk := float64(k)
	fm.durK = fm.durK[:0]
	for i := range k {
		fm.durK = append(fm.durK, fm.dist.BinMean(float64(i)/fk, float64(i+1)/fk))
	}
	p95Dur := fm.dist.Quantile(0.95)
	sorted := make([]float64, k)
	coldLat := make([]float64, k)
	// One pairing for every cloud, so that their strata differ only by the
	// clouds' models (common random numbers), not by the pairing's luck.
	overPerm, coldPerm := rng.Perm(k), rng.Perm(k)
	for j := range fm.deps {
		dm := &fm.deps[j]
		m := dm.m
		dm.warmCostSum, dm.warmViol = 0, 0
		var coldCostSum float64
		for i, dur := range fm.durK {
			ms := dur * m.SpeedFactor
			lat := ms + dm.overDist.quantile((float64(overPerm[i])+0.5)/fk)
			pen := dm.coldDist.quantile((float64(coldPerm[i]) + 0.5) / fk)
			c := dm.cost(ms)
			dm.warmLat = append(dm.warmLat, lat)
			dm.warmCost = append(dm.warmCost, c)
			dm.warmCostSum += c
			if lat > e.cfg.SLOMs {
				dm.warmViol++
			}
			coldLat[i] = lat + pen
			coldCostSum += dm.cost(ms + m.ColdStartBilledShare*pen)
		}
		dm.warmBuckets = groupBuckets(dm.warmLat)
		copy(sorted, dm.warmLat)
		slices.Sort(sorted)
		base := route.Estimate{Reliability: 1 - m.FailureRate, DistanceKm: m.DistanceKm}
		dm.warm = base
		dm.warm.LatencyMs, dm.warm.LatencyP95Ms = pointQuantile(sorted, 0.5), pointQuantile(sorted, 0.95)
		dm.warm.CostUSD = dm.warmCostSum / fk
		dm.warm.CostP95USD = dm.cost(p95Dur * m.SpeedFactor)
		slices.Sort(coldLat)
		dm.cold = base
		dm.cold.ColdStartRisk = 1
		dm.cold.LatencyMs, dm.cold.LatencyP95Ms = pointQuantile(coldLat, 0.5), pointQuantile(coldLat, 0.95)
		dm.cold.CostUSD = coldCostSum / fk
		dm.cold.CostP95USD = dm.cost(p95Dur*m.SpeedFactor + m.ColdStartBilledShare*m.ColdStartMs.Median)
	}
	e.oracleStrata(fm)
}

// oracleStrata picks, per stratum with every deployment warm, what each
// oracle would: the cheapest deployment whose latency meets its bound, else
// the fastest.
func (e *engine) oracleStrata(fm *fnModel) {
	k := e.cfg.Strata
	lats := make([]float64, 0, k)
	for o := range fm.oracles {
		ors := &fm.oracles[o]
		bound := e.oracleBound(o)
		ors.count, ors.cost, ors.viol = [nProv]uint64{}, [nProv]float64{}, 0
		for j := range ors.strata {
			ors.strata[j] = ors.strata[j][:0]
		}
		lats = lats[:0]
		for i := range k {
			best := -1
			for j := range fm.deps {
				if best < 0 || oracleBetter(bound, fm.deps[j].warmLat[i], fm.deps[j].warmCost[i], fm.deps[best].warmLat[i], fm.deps[best].warmCost[i]) {
					best = j
				}
			}
			lat := fm.deps[best].warmLat[i]
			ors.count[best]++
			ors.cost[best] += fm.deps[best].warmCost[i]
			ors.strata[best] = append(ors.strata[best], i)
			if lat > e.cfg.SLOMs {
				ors.viol++
			}
			lats = append(lats, lat)
		}
		ors.buckets = groupBuckets(lats)
	}
}

// oracleBound is the latency oracle o must meet before cost counts: the
// SLO for the oracle, none for the floor.
func (e *engine) oracleBound(o int) float64 {
	if o == floorIndex {
		return math.Inf(1)
	}
	return e.cfg.SLOMs
}

// The oracles' indexes in fnModel.oracles.
const (
	oracleIndex = 0
	floorIndex  = 1
)

// oracleBetter says whether (lat, cost) beats (bestLat, bestCost) under a
// latency bound: meeting it beats missing it; among those meeting it the
// cheaper wins, among those missing it the faster.
func oracleBetter(bound, lat, cost, bestLat, bestCost float64) bool {
	meets, bestMeets := lat <= bound, bestLat <= bound
	switch {
	case meets != bestMeets:
		return meets
	case meets:
		return cost < bestCost
	}
	return lat < bestLat
}

// pointQuantile is the nearest-rank quantile of equally likely sorted points.
func pointQuantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// armKind says how an arm routes.
type armKind uint8

const (
	armPolicy armKind = iota
	armBaseline
	armOracle
)

func (k armKind) String() string {
	switch k {
	case armBaseline:
		return "baseline"
	case armOracle:
		return "oracle"
	}
	return "policy"
}

// OracleName names the oracle in reports: per invocation, the cheapest
// cloud whose realised latency meets the SLO, else the fastest.
const OracleName = "oracle"

// FloorName names the cost floor: per invocation, the cheapest cloud,
// whatever its latency. No routing costs less.
const FloorName = "floor"

// BaselineName names the single-cloud baseline of p ("aws-only").
func BaselineName(p catalog.Provider) string { return string(p) + "-only" }

func baselineName(n string) bool {
	for _, p := range providers {
		if n == BaselineName(p) {
			return true
		}
	}
	return false
}

// arm is one way of routing the whole trace: a policy through the planner,
// a single-cloud baseline (static, no failover: a single-cloud deployment
// has nowhere to fail over to), or the oracle.
type arm struct {
	name     string
	kind     armKind
	strategy string
	pol      *policy.Policy
	needsEst bool
	// oracle indexes fnModel.oracles for the oracle arms.
	oracle int
	// memoable: the planner's answers can be memoised by memoKey (not a
	// split, whose arms draw in ways the key cannot see).
	memoable bool
}

func (e *engine) buildArms() {
	for i := range e.cfg.Policies {
		p := &e.cfg.Policies[i]
		e.arms = append(e.arms, arm{name: p.Name, kind: armPolicy, strategy: string(p.Strategy), pol: p, needsEst: p.NeedsEstimates(),
			memoable: p.Strategy != policy.Split && len(p.Rules) <= maxMemoRules})
	}
	for _, p := range providers {
		pol := &policy.Policy{Name: BaselineName(p), Function: policyFunction, Strategy: policy.Static,
			DefaultProvider: p, Failover: []catalog.Provider{p}, IsActive: true}
		e.arms = append(e.arms, arm{name: pol.Name, kind: armBaseline, strategy: string(policy.Static), pol: pol, memoable: true})
	}
	e.arms = append(e.arms,
		arm{name: OracleName, kind: armOracle, strategy: "oracle", oracle: oracleIndex},
		arm{name: FloorName, kind: armOracle, strategy: "floor", oracle: floorIndex})
}

// routeEstimate is the part of an estimate the model fixes.
func routeEstimate(m *ProviderModel) route.Estimate {
	return route.Estimate{Reliability: 1 - m.FailureRate, DistanceKm: m.DistanceKm}
}
