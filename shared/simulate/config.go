package simulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/route"
	"github.com/fiso-dev/fiso/shared/trace"
)

// Planner orders a function's deployments for one call; *route.Router is
// the one the replay is for.
type Planner interface {
	Plan(req route.Request) (route.Plan, error)
}

// DefaultSLOMs is the default latency objective: p95 at most one second,
// the limit Nielsen gives for a user's flow of thought to stay
// uninterrupted (Usability Engineering, 1993). It is the cheapest default
// policy's slo_p95_ms and the yardstick of SLO violations and the oracle.
const DefaultSLOMs = 1000

// Defaults of Config's tuning knobs.
const (
	DefaultStrata         = 128
	DefaultMaxSubBatches  = 8
	DefaultConfidentAfter = 200
	DefaultSmallBatch     = 16
)

// DefaultStart is the wall-clock time of the trace's first minute, which
// time-window rules see: a Monday, 00:00 UTC. The 2019 trace does not date
// its days.
func DefaultStart() time.Time { return time.Date(2019, time.July, 15, 0, 0, 0, 0, time.UTC) }

// DefaultMemory stands in for the app memory of traces without one (the
// 2021 trace): an average of 170 MB and a peak of 400 MB. Shahrad et al.
// (USENIX ATC 2020) report that half the apps allocate at most about 170 MB
// and 90% never more than 400 MB; the other percentiles are assumed around
// those.
func DefaultMemory() trace.Memory {
	return trace.Memory{AverageMB: 170, Percentiles: [8]float64{100, 110, 140, 170, 230, 350, 390, 400}}
}

// Config is one replay's setup. DefaultConfig fills everything but Planner.
type Config struct {
	Providers ProviderSet
	// Cards price every attempt (pricing.Defaults()).
	Cards []pricing.Card
	// Policies are replayed through Planner, each for every function (its
	// Function field is ignored), alongside the single-cloud baselines and
	// the oracle.
	Policies []policy.Policy
	Planner  Planner
	// SLOMs is the latency bound a call must meet: SLO violations count the
	// calls above it (or not served), and the oracle meets it when it can.
	SLOMs float64
	Seed  uint64
	// MaxFunctions replays only the first N functions (0: all).
	MaxFunctions int
	// Strata is how many equally likely duration points a function's
	// distribution is cut into for batched calls (2019).
	Strata int
	// MaxSubBatches bounds the plans of the rest of a minute when the
	// strategy draws random numbers (splits, exploration): the rest is
	// split into at most this many chunks, each planned with its own draws.
	MaxSubBatches int
	// SmallBatch is how many calls of a minute the oracle decides one by one
	// before it decides per duration stratum.
	SmallBatch int
	// ConfidentAfter is how many calls a deployment must have served before
	// its estimate is Confident (exploration targets the others). It matches
	// the estimator's default (shared/estimate ConfidentSamples).
	ConfidentAfter int
	// Start is the wall-clock time of the trace's origin, for rules.
	Start time.Time
	// Workers replay functions in parallel (0: GOMAXPROCS).
	Workers int
	// CallerRegion is the route.Request's UserRegion.
	CallerRegion string
	// Tail is how 2019 duration percentiles become a distribution.
	Tail trace.Tail
	// Memory stands in for traces without app memory (2021).
	Memory trace.Memory
	// SortChunkRows and TempDir bound the 2021 sort (trace.SortOptions).
	SortChunkRows int
	TempDir       string
}

// DefaultConfig returns the documented defaults: DefaultProviders, the
// built-in rate cards, DefaultPolicies, DefaultSLOMs, seed 1.
func DefaultConfig() Config {
	return Config{
		Providers:      DefaultProviders(),
		Cards:          pricing.Defaults(),
		Policies:       DefaultPolicies(DefaultSLOMs),
		SLOMs:          DefaultSLOMs,
		Seed:           1,
		Strata:         DefaultStrata,
		MaxSubBatches:  DefaultMaxSubBatches,
		SmallBatch:     DefaultSmallBatch,
		ConfidentAfter: DefaultConfidentAfter,
		Start:          DefaultStart(),
		CallerRegion:   "us-east",
		Tail:           trace.TailMatchMean,
		Memory:         DefaultMemory(),
	}
}

// DefaultPolicies are the policies compared when none are given: cheapest
// under the SLO, fastest (no cost cap), and weighted with the default
// weights. Each names aws as its default provider, which the learning
// strategies use only to break ties.
func DefaultPolicies(sloMs float64) []policy.Policy {
	return []policy.Policy{
		{Name: "cheapest", Strategy: policy.Cheapest, DefaultProvider: catalog.AWS, SLOP95Ms: sloMs},
		{Name: "fastest", Strategy: policy.Fastest, DefaultProvider: catalog.AWS},
		{Name: "weighted", Strategy: policy.Weighted, DefaultProvider: catalog.AWS},
	}
}

// policyFunction fills a policy's function when the file leaves it out: the
// replay routes every trace function with every policy.
const policyFunction = "trace"

// LoadPolicies reads a policy file: one policy.Policy JSON object, several
// in a row, or an array of them. Each is normalised and validated; the
// function may be omitted.
func LoadPolicies(r io.Reader) ([]policy.Policy, error) {
	data, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read policies: %w", err)
	}
	var raw []json.RawMessage
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &raw); err != nil {
			return nil, fault.Invalid("policies", "decode the policy array: %v", err)
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		for dec.More() {
			var m json.RawMessage
			if err := dec.Decode(&m); err != nil {
				return nil, fault.Invalid("policies", "decode policy %d: %v", len(raw)+1, err)
			}
			raw = append(raw, m)
		}
	}
	if len(raw) == 0 {
		return nil, fault.Invalid("policies", "the file holds no policy")
	}
	out := make([]policy.Policy, 0, len(raw))
	names := map[string]bool{}
	for i, m := range raw {
		var p policy.Policy
		dec := json.NewDecoder(bytes.NewReader(m))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fault.Invalid(fmt.Sprintf("policies[%d]", i), "decode: %v", err)
		}
		if err := preparePolicy(&p); err != nil {
			return nil, fmt.Errorf("policy %d (%q): %w", i+1, p.Name, err)
		}
		if names[p.Name] {
			return nil, fault.Invalid(fmt.Sprintf("policies[%d].name", i), "policy name %q is used twice", p.Name)
		}
		names[p.Name] = true
		out = append(out, p)
	}
	return out, nil
}

// preparePolicy normalises and validates a policy for the replay.
func preparePolicy(p *policy.Policy) error {
	if p.Function == "" {
		p.Function = policyFunction
	}
	p.Normalize()
	p.IsActive = true
	if err := p.Validate(); err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	return nil
}

// ErrStrategyMissing reports a policy whose strategy the planner cannot
// plan with (a build without it).
var ErrStrategyMissing = errors.New("strategy not in this build")

// CheckPlanner reports, for each policy, whether the planner can plan with
// it: it plans one probe call of a three-cloud function with confident
// estimates. A nil error in the slice means it can.
func CheckPlanner(pl Planner, pols []policy.Policy) []error {
	f := catalog.Function{Name: "probe"}
	est := map[string]route.Estimate{}
	for i, p := range providers {
		d := catalog.Deployment{ID: string(p) + "-probe", Provider: p, Region: "probe", Target: "probe"}
		f.Deployments = append(f.Deployments, d)
		est[d.ID] = route.Estimate{LatencyMs: float64(10 * (i + 1)), LatencyP95Ms: float64(20 * (i + 1)), CostUSD: 1e-6, CostP95USD: 2e-6, Reliability: 1, Samples: 1000, Confident: true}
	}
	errs := make([]error, len(pols))
	for i := range pols {
		p := pols[i]
		p.CostCapUSD = 0
		p.AllowedProviders, p.AllowedRegions = nil, nil
		_, err := pl.Plan(route.Request{Function: f, Policy: &p, Now: DefaultStart(), Estimates: est})
		if err != nil {
			errs[i] = fmt.Errorf("policy %q (strategy %s): %w: %w", pols[i].Name, pols[i].Strategy, ErrStrategyMissing, err)
		}
	}
	return errs
}

// validate checks the config before a replay.
func (c *Config) validate() error {
	if c.Planner == nil {
		return errors.New("simulate: no planner")
	}
	if err := c.Providers.Validate(c.Cards); err != nil {
		return fmt.Errorf("provider models: %w", err)
	}
	if !finite(c.SLOMs) || c.SLOMs <= 0 {
		return fault.Invalid("slo_ms", "%v must be a positive number of ms", c.SLOMs)
	}
	if c.Strata < 1 || c.Strata > 4096 {
		return fault.Invalid("strata", "%d is outside 1-4096", c.Strata)
	}
	if c.MaxSubBatches < 1 || c.SmallBatch < 0 || c.ConfidentAfter < 0 || c.MaxFunctions < 0 || c.Workers < 0 {
		return fault.Invalid("config", "max sub-batches must be positive; small batch, confident-after, max functions and workers non-negative")
	}
	names := map[string]bool{}
	for i := range c.Policies {
		if err := preparePolicy(&c.Policies[i]); err != nil {
			return fmt.Errorf("policy %q: %w", c.Policies[i].Name, err)
		}
		n := c.Policies[i].Name
		if names[n] || n == OracleName || baselineName(n) {
			return fault.Invalid("policies", "policy name %q is used twice or is reserved", n)
		}
		names[n] = true
	}
	return nil
}
