package simulate

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/route"
)

// engine holds what every worker shares read-only.
type engine struct {
	cfg   Config
	cards [nProv]pricing.Card
	arms  []arm
	// over and cold are the clouds' overhead and cold-start distributions.
	over, cold [nProv]*lognormal
	// unit is the weight of one call in histograms and violation counts:
	// one call spread over K strata weighs 1 per stratum.
	unit uint64
}

func newEngine(cfg Config) (*engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &engine{cfg: cfg, unit: uint64(cfg.Strata)}
	for j, m := range e.cfg.Providers.Models() {
		key := pricing.Key{Provider: providers[j], Plan: pricing.Plan(m.Plan), Region: m.Region, Arch: m.Arch}
		card, ok := pricing.Find(cfg.Cards, key)
		if !ok {
			return nil, fmt.Errorf("simulate: no rate card for %s: %w", key, pricing.ErrNoCard)
		}
		e.cards[j] = card
		e.over[j], e.cold[j] = newLognormal(m.OverheadMs), newLognormal(m.ColdStartMs)
	}
	e.buildArms()
	return e, nil
}

// acc accumulates one arm's outcome. Everything is an integer, so workers'
// accumulators merge exactly in any order: the replay is deterministic for a
// seed whatever the scheduling. Costs are summed per function in float64
// (in a fixed order) and added here in femto-dollars, 128 bits wide.
type acc struct {
	invocations int64
	failed      int64 // every attempt failed
	refused     int64 // the policy allowed no deployment
	failovers   int64
	coldStarts  int64
	coldBy      [nProv]int64
	cost        [nProv]femto
	callUnits   [nProv]uint64 // attempts, in 1/unit calls
	violUnits   uint64
	hist        Histogram
}

func (a *acc) merge(o *acc) {
	a.invocations += o.invocations
	a.failed += o.failed
	a.refused += o.refused
	a.failovers += o.failovers
	a.coldStarts += o.coldStarts
	for j := range nProv {
		a.coldBy[j] += o.coldBy[j]
		a.cost[j].addFemto(o.cost[j])
		a.callUnits[j] += o.callUnits[j]
	}
	a.violUnits += o.violUnits
	a.hist.Merge(&o.hist)
}

// femto is a non-negative amount of 1e-15 USD in 128 bits.
type femto struct{ hi, lo uint64 }

func (f *femto) add(usd float64) {
	usd = max(usd, 0)
	whole := math.Floor(usd)
	var v femto
	v.hi, v.lo = bits.Mul64(uint64(whole), 1e15)
	var c uint64
	v.lo, c = bits.Add64(v.lo, uint64(math.Round((usd-whole)*1e15)), 0)
	v.hi += c
	f.addFemto(v)
}

func (f *femto) addFemto(o femto) {
	var c uint64
	f.lo, c = bits.Add64(f.lo, o.lo, 0)
	f.hi += o.hi + c
}

// USD converts to dollars.
func (f femto) USD() float64 { return (float64(f.hi)*(1<<64) + float64(f.lo)) / 1e15 }

// armState is one arm's view of one function: when each deployment last
// served, how many calls it served, and the warm calls batched onto its
// strata, to be accounted when the function ends.
type armState struct {
	last    [nProv]float64 // ms from the origin; -Inf: never
	samples [nProv]int64
	warm    [nProv]uint64
	oracleW uint64
	// cost is the function's cost per cloud so far, summed in call order.
	cost     [nProv]float64
	src      *rand.PCG
	rng      *rand.Rand
	usedRand bool
	rnd      func() float64
	// forced, when not negative, is what rnd returns (memoised plans).
	forced float64
	// memo holds the planner's answers for this function by memoKey.
	memo map[int]memoPlan
}

func newArmState() *armState {
	st := &armState{src: rand.NewPCG(0, 0), memo: map[int]memoPlan{}, forced: -1}
	st.rng = rand.New(st.src)
	st.rnd = func() float64 {
		st.usedRand = true
		if st.forced >= 0 {
			return st.forced
		}
		return st.rng.Float64()
	}
	return st
}

func (st *armState) reset(seed, stream uint64) {
	for j := range nProv {
		st.last[j] = math.Inf(-1)
		st.samples[j] = 0
		st.warm[j] = 0
		st.cost[j] = 0
	}
	st.oracleW = 0
	clear(st.memo)
	st.src.Seed(seed, stream)
}

func (st *armState) isCold(j int, t, keepMs float64) bool { return t-st.last[j] > keepMs }

// draws are the random numbers of one call: its execution time (trace ms)
// and, per cloud, uniform draws for the overhead, the cold start and failure.
type draws struct {
	dur              float64
	over, cold, fail [nProv]float64
}

func (d *draws) fill(rng *rand.Rand, dur float64) {
	d.dur = dur
	for j := range nProv {
		d.over[j] = rng.Float64()
		d.cold[j] = rng.Float64()
		d.fail[j] = rng.Float64()
	}
}

// worker replays functions one at a time with its own accumulators.
type worker struct {
	e      *engine
	accs   []acc
	states []*armState
	est    map[string]route.Estimate
	common *rand.PCG
	crng   *rand.Rand
	// fm is the function being replayed: own for 2019, the current
	// invocation's function for 2021.
	fm  *fnModel
	own fnModel
	dr  draws
	// memoOK allows memoised plans: a function's estimates are fixed (2019).
	memoOK bool
	// noMemo marks arms whose planner did not explore as documented.
	noMemo []bool
}

func (e *engine) newWorker() *worker {
	w := &worker{e: e, accs: make([]acc, len(e.arms)), est: make(map[string]route.Estimate, nProv), common: rand.NewPCG(0, 0),
		noMemo: make([]bool, len(e.arms))}
	w.crng = rand.New(w.common)
	w.fm = &w.own
	for range e.arms {
		w.states = append(w.states, newArmState())
	}
	return w
}

// splitmix64 derives independent seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// stream numbers arm i's random stream. The oracle and the floor share one,
// so that they draw the same calls (common random numbers).
func (e *engine) stream(i int) uint64 {
	if e.arms[i].kind == armOracle {
		return 1 << 32
	}
	return uint64(i) + 1
}

// seedFunction reseeds the common stream and every arm's for function idx.
func (w *worker) seedFunction(idx int) {
	s := w.e.cfg.Seed
	f := splitmix64(s ^ splitmix64(uint64(idx)+1))
	w.common.Seed(f, 0)
	for i, st := range w.states {
		st.reset(f, w.e.stream(i))
	}
}

// record accounts one call answered after lat ms (or, with failed, one
// whose last attempt failed after lat ms).
func (w *worker) record(a *acc, lat float64, failed bool) {
	a.invocations++
	if failed {
		a.failed++
	}
	a.hist.Add(lat, w.e.unit)
	if failed || lat > w.e.cfg.SLOMs {
		a.violUnits += w.e.unit
	}
}

// refuse accounts n calls the policy could not route.
func (w *worker) refuse(a *acc, n int64) {
	a.invocations += n
	a.refused += n
	a.violUnits += uint64(n) * w.e.unit
}

// serve runs one call at time t along order: each attempt is billed; a
// failed one hands the call to the next deployment. forceFail fails the
// first attempt (a failure a batch drew).
func (w *worker) serve(a *acc, st *armState, order []catalog.Deployment, t float64, dr *draws, forceFail bool) {
	fm := w.fm
	var lat float64
	for i := range order {
		j := provIndex(order[i].Provider)
		if j < 0 {
			continue
		}
		dm := &fm.deps[j]
		at := t + lat
		ms := dr.dur * dm.m.SpeedFactor
		l := ms + dm.overDist.quantile(dr.over[j])
		billed := ms
		if st.isCold(j, at, dm.keepMs) {
			pen := dm.coldDist.quantile(dr.cold[j])
			l += pen
			billed += dm.m.ColdStartBilledShare * pen
			a.coldStarts++
			a.coldBy[j]++
		}
		st.cost[j] += dm.cost(billed)
		a.callUnits[j] += w.e.unit
		st.last[j] = at
		st.samples[j]++
		lat += l
		if !(i == 0 && forceFail) && dr.fail[j] >= dm.m.FailureRate {
			w.record(a, lat, false)
			return
		}
		if i < len(order)-1 {
			a.failovers++
		}
	}
	w.record(a, lat, true)
}

// plan asks the planner for the order of a call at t, with estimates from
// the arm's view of the deployments.
func (w *worker) plan(ai int, st *armState, t float64) (route.Plan, error) {
	ar := &w.e.arms[ai]
	req := route.Request{
		Function:   w.fm.fn,
		Policy:     ar.pol,
		Now:        w.e.cfg.Start.Add(time.Duration(t * float64(time.Millisecond))),
		UserRegion: w.e.cfg.CallerRegion,
		Rand:       st.rnd,
	}
	if ar.needsEst {
		for j := range w.fm.deps {
			dm := &w.fm.deps[j]
			est := dm.warm
			if st.isCold(j, t, dm.keepMs) {
				est = dm.cold
			}
			est.Samples = int(st.samples[j])
			est.Confident = st.samples[j] >= int64(w.e.cfg.ConfidentAfter)
			w.est[dm.d.ID] = est
		}
		req.Estimates = w.est
	}
	st.usedRand = false
	p, err := w.e.cfg.Planner.Plan(req)
	if err != nil {
		if errors.Is(err, fault.ErrConflict) {
			return route.Plan{}, errRefused
		}
		return route.Plan{}, fmt.Errorf("policy %q: %w", ar.name, err)
	}
	if len(p.Order) == 0 {
		return route.Plan{}, errRefused
	}
	return p, nil
}

// errRefused marks a call the policy allowed no deployment for (residency
// rules, a cost cap): the call is refused, as FISO would refuse it.
var errRefused = errors.New("refused by the policy")

// confidence summarises what can change a plan between two calls of a
// minute besides time: which deployments are confident.
func (w *worker) allConfident(st *armState) bool {
	for j := range nProv {
		if st.samples[j] < int64(w.e.cfg.ConfidentAfter) {
			return false
		}
	}
	return true
}

// policyMinute replays minute m's n calls of a policy or baseline arm. The
// first call is routed on its own with the minute's common draws (it is the
// one that may find a deployment cold); the rest share its features and are
// routed as one batch, accounted on the duration strata.
func (w *worker) policyMinute(ai int, base, gap float64, n int) error {
	if w.memoOK && w.e.arms[ai].memoable && !w.noMemo[ai] {
		return w.memoMinute(ai, base, gap, n)
	}
	return w.plannedMinute(ai, base, gap, n)
}

// plannedMinute asks the planner for every plan (splits, and planners that
// do not explore as documented).
func (w *worker) plannedMinute(ai int, base, gap float64, n int) error {
	a, st := &w.accs[ai], w.states[ai]
	t0 := base + gap/2
	p, err := w.plan(ai, st, t0)
	if err == errRefused {
		w.refuse(a, int64(n))
		return nil
	}
	if err != nil {
		return err
	}
	usedRand := st.usedRand
	cold0, fo0 := a.coldStarts, a.failovers
	w.serve(a, st, p.Order, t0, &w.dr, false)
	// The rest sees the same features unless the first call changed them
	// (or the plan depended on a draw, or on which deployments are known).
	if !usedRand && (!w.e.arms[ai].needsEst || w.allConfident(st)) && a.coldStarts == cold0 && a.failovers == fo0 {
		if n > 1 {
			w.batch(a, st, p.Order, n-1, base+1.5*gap, base+(float64(n)-0.5)*gap)
		}
		return nil
	}
	return w.plannedRest(ai, base, gap, n, 1)
}

// plannedRest plans the calls of a minute from call from on: in one chunk
// when the plan draws nothing, else in chunks of at most a MaxSubBatches-th
// of the rest, each planned with its own draws.
func (w *worker) plannedRest(ai int, base, gap float64, n, from int) error {
	a, st := &w.accs[ai], w.states[ai]
	rest := n - from
	chunk := (rest + w.e.cfg.MaxSubBatches - 1) / w.e.cfg.MaxSubBatches
	for i := from; rest > 0; {
		t := base + (float64(i)+0.5)*gap
		p, err := w.plan(ai, st, t)
		if err == errRefused {
			w.refuse(a, int64(rest))
			return nil
		} else if err != nil {
			return err
		}
		c := rest
		if st.usedRand {
			c = min(rest, chunk)
		}
		w.batch(a, st, p.Order, c, t, base+(float64(i+c-1)+0.5)*gap)
		i += c
		rest -= c
	}
	return nil
}

// memoPlan is what the planner answers for one set of inputs: the order,
// and, when the strategy explores, the order of an exploring call.
type memoPlan struct {
	main     []catalog.Deployment
	explored []catalog.Deployment
	random   bool // the plan draws: explored with probability share
	refused  bool
}

// maxMemoRules bounds the rules a memo key covers.
const maxMemoRules = 16

// memoKey encodes what can change a plan of a 2019 function within its day
// (its estimates are otherwise fixed): which deployments are cold, which
// are confident, how the unconfident ones' sample counts compare (the
// exploration target is the least sampled), and which time-window rules are
// active. Plans with equal keys are equal.
func (w *worker) memoKey(ai int, st *armState, t float64) int {
	ar := &w.e.arms[ai]
	key := 0
	conf := int64(w.e.cfg.ConfidentAfter)
	for j := range nProv {
		if st.isCold(j, t, w.fm.deps[j].keepMs) {
			key |= 1 << j
		}
		if ar.needsEst && st.samples[j] >= conf {
			key |= 1 << (3 + j)
		}
	}
	if ar.needsEst {
		for p, ij := range [3][2]int{{0, 1}, {0, 2}, {1, 2}} {
			a, b := st.samples[ij[0]], st.samples[ij[1]]
			if a < conf && b < conf {
				key |= (cmpInt(a, b) + 1) << (6 + 2*p)
			}
		}
	}
	if len(ar.pol.Rules) > 0 {
		now := w.e.cfg.Start.Add(time.Duration(t * float64(time.Millisecond)))
		for i := range ar.pol.Rules {
			if ar.pol.Rules[i].Active(now) {
				key |= 1 << (12 + i)
			}
		}
	}
	return key
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// noDraw is a draw no exploration takes (shares are at most 0.5): the
// largest float64 below 1.
const noDraw = 1 - 1.0/(1<<53)

// memoised returns the plans for the inputs at t, asking the planner once
// per distinct key: with a draw that does not explore, and, if the plan
// drew, with one that does (0). It reports ok false when the planner does
// not explore as documented (a draw below the share explores), and the
// minute must be planned call by call.
func (w *worker) memoised(ai int, st *armState, t float64) (memoPlan, bool, error) {
	key := w.memoKey(ai, st, t)
	if m, ok := st.memo[key]; ok {
		return m, true, nil
	}
	defer func() { st.forced = -1 }()
	st.forced = noDraw
	p, err := w.plan(ai, st, t)
	if err == errRefused {
		m := memoPlan{refused: true}
		st.memo[key] = m
		return m, true, nil
	}
	if err != nil {
		return memoPlan{}, false, err
	}
	m := memoPlan{main: p.Order}
	if st.usedRand {
		if p.Decision.Explored {
			return memoPlan{}, false, nil
		}
		st.forced = 0
		pe, err := w.plan(ai, st, t)
		if err != nil || !pe.Decision.Explored {
			return memoPlan{}, false, nil
		}
		m.random, m.explored = true, pe.Order
	}
	st.memo[key] = m
	return m, true, nil
}

// memoMinute is policyMinute with memoised plans: exploration is drawn
// here, per call, with the policy's share: the first call explores with
// probability share, and a binomial number of the rest do.
func (w *worker) memoMinute(ai int, base, gap float64, n int) error {
	a, st := &w.accs[ai], w.states[ai]
	share := w.e.arms[ai].pol.ExplorationShare()
	t0 := base + gap/2
	m, ok, err := w.memoised(ai, st, t0)
	if err != nil {
		return err
	}
	if !ok {
		w.noMemo[ai] = true
		return w.plannedMinute(ai, base, gap, n)
	}
	if m.refused {
		w.refuse(a, int64(n))
		return nil
	}
	order := m.main
	if m.random && st.rng.Float64() < share {
		order = m.explored
	}
	w.serve(a, st, order, t0, &w.dr, false)
	rest := n - 1
	if rest == 0 {
		return nil
	}
	t1, tEnd := base+1.5*gap, base+(float64(n)-0.5)*gap
	if m, ok, err = w.memoised(ai, st, t1); err != nil {
		return err
	} else if !ok {
		w.noMemo[ai] = true
		return w.plannedRest(ai, base, gap, n, 1)
	}
	if m.refused {
		w.refuse(a, int64(rest))
		return nil
	}
	explored := 0
	if m.random {
		explored = binomial(st.rng, rest, share)
	}
	if explored > 0 {
		w.batch(a, st, m.explored, explored, t1, tEnd)
	}
	if rest > explored {
		w.batch(a, st, m.main, rest-explored, t1, tEnd)
	}
	return nil
}

// batch routes c calls from t to tEnd to order's first deployment: a cold
// start for the first if it is cold, failures drawn from a binomial and
// replayed one by one, the rest warm, spread over the strata when the
// function ends.
func (w *worker) batch(a *acc, st *armState, order []catalog.Deployment, c int, t, tEnd float64) {
	j := provIndex(order[0].Provider)
	if j < 0 {
		return
	}
	dm := &w.fm.deps[j]
	var dr draws
	if st.isCold(j, t, dm.keepMs) {
		dr.fill(st.rng, w.fm.dist.Quantile(st.rng.Float64()))
		w.serve(a, st, order, t, &dr, false)
		c--
	}
	fails := binomial(st.rng, c, dm.m.FailureRate)
	for range fails {
		dr.fill(st.rng, w.fm.dist.Quantile(st.rng.Float64()))
		w.serve(a, st, order, t, &dr, true)
	}
	warm := c - fails
	if warm <= 0 {
		return
	}
	st.warm[j] += uint64(warm)
	st.samples[j] += int64(warm)
	st.last[j] = max(st.last[j], tEnd)
}

// binomial draws the number of successes of n trials of probability p:
// by inversion while the mean is small, by the normal approximation above.
func binomial(rng *rand.Rand, n int, p float64) int {
	if n <= 0 || p <= 0 {
		return 0
	}
	u := rng.Float64()
	mean := float64(n) * p
	if mean > 30 {
		sd := math.Sqrt(mean * (1 - p))
		z := math.Sqrt2 * math.Erfinv(2*min(max(u, 1e-12), 1-1e-12)-1)
		return min(n, max(0, int(math.Round(mean+sd*z))))
	}
	q := math.Pow(1-p, float64(n))
	cum := q
	k := 0
	for u > cum && k < n {
		q *= float64(n-k) / float64(k+1) * p / (1 - p)
		k++
		cum += q
	}
	return k
}

// flush accounts an arm's batched warm calls on the function's strata.
func (w *worker) flush(ai int) {
	a, st := &w.accs[ai], w.states[ai]
	fm := w.fm
	k := float64(w.e.cfg.Strata)
	if ar := &w.e.arms[ai]; ar.kind == armOracle {
		ors := &fm.oracles[ar.oracle]
		if W := st.oracleW; W > 0 {
			a.invocations += int64(W)
			for j := range nProv {
				st.cost[j] += float64(W) * ors.cost[j] / k
				a.callUnits[j] += W * ors.count[j]
			}
			for _, bw := range ors.buckets {
				a.hist.addBucket(bw.b, W*bw.n)
			}
			a.violUnits += W * ors.viol
		}
		w.flushCost(a, st)
		return
	}
	for j := range nProv {
		W := st.warm[j]
		if W == 0 {
			continue
		}
		dm := &fm.deps[j]
		a.invocations += int64(W)
		st.cost[j] += float64(W) * dm.warmCostSum / k
		a.callUnits[j] += W * w.e.unit
		for _, bw := range dm.warmBuckets {
			a.hist.addBucket(bw.b, W*bw.n)
		}
		a.violUnits += W * dm.warmViol
	}
	w.flushCost(a, st)
}

// flushCost moves a function's costs into the arm's accumulator.
func (w *worker) flushCost(a *acc, st *armState) {
	for j := range nProv {
		a.cost[j].add(st.cost[j])
		st.cost[j] = 0
	}
}

// oracleCall routes one call the way the oracle does: knowing every
// deployment's realised latency, cost and failure for this call, it takes the
// cheapest that meets the SLO, else the fastest; it never makes an attempt
// that fails.
func (w *worker) oracleCall(ai int, a *acc, st *armState, t float64, dr *draws) {
	bound := w.e.oracleBound(w.e.arms[ai].oracle)
	best := -1
	var bestLat, bestCost, bestPen float64
	for j := range w.fm.deps {
		dm := &w.fm.deps[j]
		if dr.fail[j] < dm.m.FailureRate {
			continue
		}
		ms := dr.dur * dm.m.SpeedFactor
		lat := ms + dm.overDist.quantile(dr.over[j])
		var pen float64
		if st.isCold(j, t, dm.keepMs) {
			pen = dm.coldDist.quantile(dr.cold[j])
			lat += pen
		}
		cost := dm.cost(ms + dm.m.ColdStartBilledShare*pen)
		if best < 0 || oracleBetter(bound, lat, cost, bestLat, bestCost) {
			best, bestLat, bestCost, bestPen = j, lat, cost, pen
		}
	}
	if best < 0 {
		// Every cloud would fail this call; the oracle cannot serve it.
		a.invocations++
		a.failed++
		a.violUnits += w.e.unit
		return
	}
	if bestPen > 0 || st.isCold(best, t, w.fm.deps[best].keepMs) {
		a.coldStarts++
		a.coldBy[best]++
	}
	st.cost[best] += bestCost
	a.callUnits[best] += w.e.unit
	st.last[best] = t
	st.samples[best]++
	w.record(a, bestLat, false)
}

// oracleMinute replays minute m's n calls with the oracle: the first and,
// in a small minute, every call one by one; in a large one, the rest per
// duration stratum with every deployment it uses warm after one cold start.
func (w *worker) oracleMinute(ai int, base, gap float64, n int) {
	a, st := &w.accs[ai], w.states[ai]
	w.oracleCall(ai, a, st, base+gap/2, &w.dr)
	rest := n - 1
	if rest == 0 {
		return
	}
	if rest <= w.e.cfg.SmallBatch {
		var dr draws
		for i := 1; i < n; i++ {
			dr.fill(st.rng, w.fm.dist.Quantile(st.rng.Float64()))
			w.oracleCall(ai, a, st, base+(float64(i)+0.5)*gap, &dr)
		}
		return
	}
	t1, tEnd := base+1.5*gap, base+(float64(n)-0.5)*gap
	fm := w.fm
	ors := &fm.oracles[w.e.arms[ai].oracle]
	for j := range fm.deps {
		dm := &fm.deps[j]
		if ors.count[j] == 0 {
			continue
		}
		if st.isCold(j, t1, dm.keepMs) && rest > 0 {
			// One call of its strata pays the cold start.
			ks := ors.strata[j]
			i := ks[st.rng.IntN(len(ks))]
			pen := dm.coldDist.quantile(st.rng.Float64())
			a.coldStarts++
			a.coldBy[j]++
			st.cost[j] += dm.cost(fm.durK[i]*dm.m.SpeedFactor + dm.m.ColdStartBilledShare*pen)
			a.callUnits[j] += w.e.unit
			w.record(a, dm.warmLat[i]+pen, false)
			rest--
		}
		st.last[j] = tEnd
	}
	st.oracleW += uint64(rest)
}
