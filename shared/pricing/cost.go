package pricing

import (
	"errors"
	"fmt"
	"math"

	"github.com/fiso-dev/fiso/shared/fault"
)

// ErrNoPrice reports a card that cannot price what was asked: a meter the
// plan bills is missing, has no paid tier, or the plan is unknown. Usage
// that cannot be billed (a negative duration, memory the plan does not
// offer) is a fault.ErrInvalid instead.
var ErrNoPrice = errors.New("no price")

// ErrNoCard reports that no card in force covers a deployment's provider,
// plan, region and architecture.
var ErrNoCard = errors.New("no rate card")

// durationEpsilon absorbs float noise before a duration is rounded up to a
// billing step: 300.00000000000006 ms (0.1+0.2 s) is 3 steps of 100 ms, not 4.
// It is relative to the step count, so it stays far below a microsecond.
const durationEpsilon = 1e-9

// BilledDurationMs rounds a measured duration the way b bills it: up to a
// whole StepMs, and at least MinDurationMs. A duration within float noise of
// a step boundary counts as on it.
func (b Billing) BilledDurationMs(durationMs float64) (float64, error) {
	if math.IsNaN(durationMs) || math.IsInf(durationMs, 0) || durationMs < 0 {
		return 0, fault.Invalid("duration_ms", "duration %v ms is not a finite, non-negative number", durationMs)
	}
	billed := durationMs
	if b.StepMs > 0 {
		steps := durationMs / b.StepMs
		if r := math.Round(steps); math.Abs(steps-r) <= durationEpsilon*math.Max(1, r) {
			steps = r
		}
		billed = math.Ceil(steps) * b.StepMs
	}
	return math.Max(billed, b.MinDurationMs), nil
}

// BilledMemoryMB is the memory b bills: the observed memory where b bills
// observed memory (the configured memory when none was observed), else the
// configured memory; rounded up to MemoryStepMB and raised to MinMemoryMB.
// It does not check the plan's limits; Card.Cost does.
func (b Billing) BilledMemoryMB(configuredMB, observedMB int) (int, error) {
	mb, field := configuredMB, "memory_mb"
	if b.BillsObservedMemory && observedMB != 0 {
		mb, field = observedMB, "observed_memory_mb"
	}
	if mb < 0 {
		return 0, fault.Invalid(field, "memory %d MB is negative", mb)
	}
	if b.MemoryStepMB > 0 && mb%b.MemoryStepMB != 0 {
		mb += b.MemoryStepMB - mb%b.MemoryStepMB
	}
	return max(mb, b.MinMemoryMB), nil
}

// MemoryRangeOf returns the least and most memory, in MB, a plan runs a
// function with: Lambda 128-10,240 MB; Azure Consumption 128-1,536 MB (the
// most it bills, whatever was observed); Flex instance sizes 512-4,096 MB;
// 1st gen 128-8,192 MB; Cloud Run functions 128 MiB-32 GiB. (0, 0) for an
// unknown plan.
func MemoryRangeOf(p Plan) (minMB, maxMB int) {
	switch p {
	case Lambda:
		return 128, 10240
	case Consumption:
		return 128, 1536
	case Flex:
		return 512, 4096
	case Gen1:
		return 128, 8192
	case Gen2:
		return 128, 32768
	}
	return 0, 0
}

// Gen1GHz is the CPU clock, in GHz, Cloud Run functions (1st gen) allot to a
// function of memoryMB: 128 MB 0.2, 256 MB 0.4, 512 MB 0.8, 1,024 MB 1.4,
// 2,048 MB 2.4, 4,096 and 8,192 MB 4.8 (the vCPU shares .083, .167, .333,
// .583, 1, 2, 2 of a 2.4 GHz vCPU, as priced in the 1st gen compute-time
// table). 1st gen offers no larger size. A size between two listed sizes gets
// the CPU of the next size up, as the platform would allot.
// Source: https://cloud.google.com/functions/docs/configuring/memory (1st gen)
// and https://cloud.google.com/functions/pricing-1stgen.
func Gen1GHz(memoryMB int) (float64, error) {
	if memoryMB <= 0 || memoryMB > 8192 {
		return 0, fault.Invalid("memory_mb", "%d MB is outside 1st gen's 128-8192 MB", memoryMB)
	}
	switch {
	case memoryMB <= 128:
		return 0.2, nil
	case memoryMB <= 256:
		return 0.4, nil
	case memoryMB <= 512:
		return 0.8, nil
	case memoryMB <= 1024:
		return 1.4, nil
	case memoryMB <= 2048:
		return 2.4, nil
	}
	return 4.8, nil
}

// Gen2VCPU is the vCPU Cloud Run functions allot by default to a function of
// memoryMB (MiB): 128 MiB .083, 256 MiB .167, 512 MiB .333, 1 GiB .583,
// 2 GiB 1, 4 and 8 GiB 2, 16 GiB 4, 32 GiB 8. A size between two listed sizes
// gets the CPU of the next size up.
// Source: https://cloud.google.com/functions/docs/configuring/memory.
func Gen2VCPU(memoryMB int) (float64, error) {
	if memoryMB <= 0 || memoryMB > 32768 {
		return 0, fault.Invalid("memory_mb", "%d MiB is outside Cloud Run functions' 128-32768 MiB", memoryMB)
	}
	switch {
	case memoryMB <= 128:
		return 0.083, nil
	case memoryMB <= 256:
		return 0.167, nil
	case memoryMB <= 512:
		return 0.333, nil
	case memoryMB <= 1024:
		return 0.583, nil
	case memoryMB <= 2048:
		return 1, nil
	case memoryMB <= 8192:
		return 2, nil
	case memoryMB <= 16384:
		return 4, nil
	}
	return 8, nil
}

// Cost is the billed cost of one invocation that used u, at list price: per
// meter of the plan, the billed quantity times the first tier priced above
// $0 (free grants and $0 tiers are monthly, see Monthly). Duration and memory
// are rounded as c.Billing says; plans that bill configured memory refuse
// memory outside MemoryRangeOf(c.Plan), and Azure Consumption bills at most
// its 1,536 MB. Quantities: GB-seconds and GiB-seconds are ms/1000 * MB/1024,
// GHz-seconds ms/1000 * Gen1GHz, vCPU-seconds ms/1000 * Gen2VCPU, and one
// request.
func (c Card) Cost(u Usage) (Cost, error) {
	cost, err := c.cost(u)
	if err != nil {
		return Cost{}, fmt.Errorf("cost on card %s: %w", c.KeyOf(), err)
	}
	return cost, nil
}

func (c Card) cost(u Usage) (Cost, error) {
	meters := MetersOf(c.Plan)
	if meters == nil {
		return Cost{}, fmt.Errorf("plan %q has no meters: %w", c.Plan, ErrNoPrice)
	}
	ms, err := c.Billing.BilledDurationMs(u.DurationMs)
	if err != nil {
		return Cost{}, err
	}
	mb, err := c.billedMemory(u)
	if err != nil {
		return Cost{}, err
	}
	out := Cost{
		BilledDurationMs: ms,
		BilledMemoryMB:   mb,
		Quantities:       make(map[Meter]float64, len(meters)),
		CardVersion:      c.Version,
	}
	for _, m := range meters {
		q, err := quantity(m, ms, mb)
		if err != nil {
			return Cost{}, fmt.Errorf("meter %s: %w", m, err)
		}
		price, err := c.ListPrice(m)
		if err != nil {
			return Cost{}, err
		}
		out.Quantities[m] = q
		if m == Request {
			out.RequestUSD += q * price
		} else {
			out.ComputeUSD += q * price
		}
	}
	out.TotalUSD = out.ComputeUSD + out.RequestUSD
	return out, nil
}

// billedMemory applies c.Billing and the plan's memory limits to u.
func (c Card) billedMemory(u Usage) (int, error) {
	mb, err := c.Billing.BilledMemoryMB(u.MemoryMB, u.ObservedMemoryMB)
	if err != nil {
		return 0, err
	}
	lo, hi := MemoryRangeOf(c.Plan)
	if c.Billing.BillsObservedMemory {
		// The platform bills what was used, up to the most an instance has.
		return min(mb, hi), nil
	}
	if mb < lo || mb > hi {
		return 0, fault.Invalid("memory_mb", "%d MB is outside plan %s's %d-%d MB", mb, c.Plan, lo, hi)
	}
	return mb, nil
}

// quantity is the billed units of meter m for ms milliseconds at mb MB.
func quantity(m Meter, ms float64, mb int) (float64, error) {
	switch m {
	case GBSecond, GiBSecond:
		// One division, so 120 ms at 1,536 MB is 0.18 as nearly as a
		// float64 can say it.
		return ms * float64(mb) / (1000 * 1024), nil
	case GHzSecond:
		ghz, err := Gen1GHz(mb)
		return ms * ghz / 1000, err
	case VCPUSecond:
		vcpu, err := Gen2VCPU(mb)
		return ms * vcpu / 1000, err
	case Request:
		return 1, nil
	}
	return 0, fmt.Errorf("meter %q is unknown: %w", m, ErrNoPrice)
}

// ListPrice is the marginal list price of one unit of m: the first tier of
// its price priced above $0 ($0 tiers are free allowances, which are monthly).
func (c Card) ListPrice(m Meter) (float64, error) {
	p, ok := c.price(m)
	if !ok {
		return 0, fmt.Errorf("meter %s: the card has no price for it: %w", m, ErrNoPrice)
	}
	for _, t := range p.Tiers {
		if t.USDPerUnit > 0 {
			return t.USDPerUnit, nil
		}
	}
	return 0, fmt.Errorf("meter %s: no tier is priced above $0: %w", m, ErrNoPrice)
}

// price returns the first price of meter m.
func (c Card) price(m Meter) (Price, bool) {
	for _, p := range c.Prices {
		if p.Meter == m {
			return p, true
		}
	}
	return Price{}, false
}
