package simulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/fiso-dev/fiso/shared/trace"
)

// FunctionSource yields the functions of a 2019 trace day; *trace.Day2019
// is one. Next returns io.EOF after the last.
type FunctionSource interface {
	Next() (trace.Function2019, error)
}

// InvocationSource yields a 2021 trace's invocations in order of start;
// *trace.Sorted2021 is one. Next returns io.EOF after the last.
type InvocationSource interface {
	Next() (trace.Invocation2021, error)
}

// Run locates nothing: it opens src, replays it with cfg and closes it.
func Run(ctx context.Context, src trace.Source, cfg Config) (*Report, error) {
	switch src.Format {
	case trace.Azure2019:
		day, err := trace.Open2019(src.Day)
		if err != nil {
			return nil, err
		}
		defer day.Close()
		return Replay2019(ctx, day, src.Day.Invocations, cfg)
	case trace.Azure2021:
		f, err := os.Open(src.File2021)
		if err != nil {
			return nil, fmt.Errorf("open trace: %w", err)
		}
		defer f.Close()
		sorted, err := trace.Sort2021(f, src.File2021, trace.SortOptions{ChunkRows: cfg.SortChunkRows, TempDir: cfg.TempDir})
		if err != nil {
			return nil, err
		}
		defer sorted.Close()
		return Replay2021(ctx, sorted, src.File2021, cfg)
	}
	return nil, fmt.Errorf("simulate: trace format %q: %w", src.Format, trace.ErrNoTrace)
}

type job struct {
	idx int
	fn  trace.Function2019
}

// Replay2019 replays one day of the 2019 trace: every function deployed on
// the three clouds, every arm (policies, baselines, oracle) routing every
// invocation. Functions are independent (each has its own deployments), so
// workers replay them in parallel; the result does not depend on how.
func Replay2019(ctx context.Context, src FunctionSource, name string, cfg Config) (*Report, error) {
	e, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rep := e.newReport(name, trace.Azure2019)
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan job, 2*workers)
	g.Go(func() error {
		defer close(jobs)
		for idx := 0; cfg.MaxFunctions == 0 || idx < cfg.MaxFunctions; idx++ {
			fn, err := src.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			rep.Functions++
			rep.Invocations += fn.Total()
			rep.Minutes = max(rep.Minutes, len(fn.PerMinute))
			rep.DurationFallbacks[fn.DurationsFrom.String()]++
			rep.MemoryFallbacks[fn.MemoryFrom.String()]++
			select {
			case jobs <- job{idx: idx, fn: fn}:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	ws := make([]*worker, workers)
	for i := range ws {
		w := e.newWorker()
		w.memoOK = true
		ws[i] = w
		g.Go(func() error {
			for j := range jobs {
				if err := gctx.Err(); err != nil {
					return err
				}
				if err := w.function2019(&j.fn, j.idx); err != nil {
					return fmt.Errorf("function %s: %w", j.fn.Function, err)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if rep.Functions == 0 {
		return nil, errNoFunctions
	}
	delete(rep.DurationFallbacks, trace.FromTrace.String())
	delete(rep.MemoryFallbacks, trace.FromTrace.String())
	e.finish(rep, ws)
	return rep, nil
}

// function2019 replays one function's day.
func (w *worker) function2019(fn *trace.Function2019, idx int) error {
	w.fm = &w.own
	w.seedFunction(idx)
	if err := w.e.setup(w.fm, fn.Function, fn.Memory); err != nil {
		return err
	}
	w.fm.dist = fn.Durations.Distribution(w.e.cfg.Tail)
	w.e.strata(w.fm, w.crng)
	for m, n := range fn.PerMinute {
		if n == 0 {
			continue
		}
		base, gap := float64(m)*60_000, 60_000/float64(n)
		w.dr.fill(w.crng, w.fm.dist.Quantile(w.crng.Float64()))
		for ai := range w.e.arms {
			if w.e.arms[ai].kind == armOracle {
				w.oracleMinute(ai, base, gap, int(n))
				continue
			}
			if err := w.policyMinute(ai, base, gap, int(n)); err != nil {
				return err
			}
		}
	}
	for ai := range w.e.arms {
		w.flush(ai)
	}
	return nil
}

// ringSize is how many recent durations of a 2021 function its estimates
// are computed from.
const ringSize = 64

// fn2021 is a 2021 function's model and every arm's view of it.
type fn2021 struct {
	fm     fnModel
	states []*armState
	ring   [ringSize]float64
	n      int
}

// priorDurationMs is the execution time assumed before any invocation of a
// 2021 trace has been seen.
const priorDurationMs = 1000

// Replay2021 replays a 2021 trace invocation by invocation, in order of
// start: every invocation is routed on its own, with its own duration. The
// router's estimates for a function come from its last 64 durations (the
// trace's so far before its first), the overhead and cold-start models and
// the rate cards; memory is cfg.Memory for every function.
func Replay2021(ctx context.Context, src InvocationSource, name string, cfg Config) (*Report, error) {
	e, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	rep := e.newReport(name, trace.Azure2021)
	w := e.newWorker()
	w.common.Seed(splitmix64(cfg.Seed), 2021)
	var fns []*fn2021
	var global [ringSize]float64
	nGlobal := 0
	scratch := make([]float64, 0, ringSize)
	var maxStart float64
	for count := 0; ; count++ {
		if count%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		inv, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if cfg.MaxFunctions > 0 && inv.FuncID >= cfg.MaxFunctions {
			continue
		}
		for len(fns) <= inv.FuncID {
			fs := &fn2021{}
			if err := e.setup(&fs.fm, fmt.Sprintf("%.16s-%.16s", inv.App, inv.Func), cfg.Memory); err != nil {
				return nil, err
			}
			seed := splitmix64(cfg.Seed ^ splitmix64(uint64(len(fns))+1))
			for ai := range e.arms {
				st := newArmState()
				st.reset(seed, e.stream(ai))
				fs.states = append(fs.states, st)
			}
			fns = append(fns, fs)
		}
		fs := fns[inv.FuncID]
		rep.Invocations++
		t := inv.StartS * 1000
		maxStart = max(maxStart, t)
		scratch = scratch[:0]
		switch {
		case fs.n > 0:
			scratch = append(scratch, fs.ring[:min(fs.n, ringSize)]...)
		case nGlobal > 0:
			scratch = append(scratch, global[:min(nGlobal, ringSize)]...)
		default:
			scratch = append(scratch, priorDurationMs)
		}
		e.estimates2021(&fs.fm, scratch)
		w.fm, w.states = &fs.fm, fs.states
		durMs := inv.DurationS * 1000
		w.dr.fill(w.crng, durMs)
		for ai := range e.arms {
			a, st := &w.accs[ai], w.states[ai]
			if e.arms[ai].kind == armOracle {
				w.oracleCall(ai, a, st, t, &w.dr)
				continue
			}
			p, err := w.plan(ai, st, t)
			if err == errRefused {
				w.refuse(a, 1)
				continue
			}
			if err != nil {
				return nil, err
			}
			w.serve(a, st, p.Order, t, &w.dr, false)
		}
		fs.ring[fs.n%ringSize] = durMs
		fs.n++
		global[nGlobal%ringSize] = durMs
		nGlobal++
	}
	for _, fs := range fns {
		w.fm, w.states = &fs.fm, fs.states
		for ai := range e.arms {
			w.flush(ai)
		}
	}
	rep.Functions = len(fns)
	if rep.Functions == 0 {
		return nil, errNoFunctions
	}
	rep.Minutes = int(math.Ceil(maxStart / 60_000))
	e.finish(rep, []*worker{w})
	return rep, nil
}

// estimates2021 sets a function's warm and cold estimates from recent
// durations (ms): the median and p95 duration times the speed plus the
// overhead's median and p95 (and the cold start's), a conservative sum; the
// mean billed cost over the durations.
func (e *engine) estimates2021(fm *fnModel, durs []float64) {
	slices.Sort(durs)
	p50, p95 := pointQuantile(durs, 0.5), pointQuantile(durs, 0.95)
	for j := range fm.deps {
		dm := &fm.deps[j]
		m := dm.m
		var warmCost, coldCost float64
		for _, d := range durs {
			warmCost += dm.cost(d * m.SpeedFactor)
			coldCost += dm.cost(d*m.SpeedFactor + m.ColdStartBilledShare*m.ColdStartMs.Median)
		}
		n := float64(len(durs))
		dm.warm = routeEstimate(m)
		dm.warm.LatencyMs = p50*m.SpeedFactor + m.OverheadMs.Median
		dm.warm.LatencyP95Ms = p95*m.SpeedFactor + m.OverheadMs.P95
		dm.warm.CostUSD = warmCost / n
		dm.warm.CostP95USD = dm.cost(p95 * m.SpeedFactor)
		dm.cold = dm.warm
		dm.cold.ColdStartRisk = 1
		dm.cold.LatencyMs += m.ColdStartMs.Median
		dm.cold.LatencyP95Ms += m.ColdStartMs.P95
		dm.cold.CostUSD = coldCost / n
		dm.cold.CostP95USD = dm.cost(p95*m.SpeedFactor + m.ColdStartBilledShare*m.ColdStartMs.Median)
	}
}

// errNoFunctions reports an empty replay.
var errNoFunctions = errors.New("the trace has no functions to replay")
