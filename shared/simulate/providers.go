package simulate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/trace"
)

// Dist is a latency distribution given by its median and 95th percentile,
// in ms: the log-normal through both (sigma = ln(p95/median) / 1.645). A zero
// median is no latency at all; p95 equal to the median is a constant.
type Dist struct {
	Median float64 `json:"median"`
	P95    float64 `json:"p95"`
}

// z95 is the standard normal's 95th percentile.
const z95 = 1.6448536269514722

// Quantile returns the value at probability u in (0, 1).
func (d Dist) Quantile(u float64) float64 {
	if d.Median <= 0 || d.P95 <= d.Median {
		return d.Median
	}
	sigma := math.Log(d.P95/d.Median) / z95
	u = min(max(u, 1e-12), 1-1e-12)
	return d.Median * math.Exp(sigma*math.Sqrt2*math.Erfinv(2*u-1))
}

func (d Dist) validate(field string, vs *fault.Violations) {
	switch {
	case !finite(d.Median) || !finite(d.P95) || d.Median < 0:
		vs.Add(field, "median %v and p95 %v must be finite and non-negative", d.Median, d.P95)
	case d.P95 < d.Median:
		vs.Add(field, "p95 %v is below the median %v", d.P95, d.Median)
	case d.Median == 0 && d.P95 > 0:
		vs.Add(field, "a zero median needs a zero p95 (no latency)")
	}
}

// MemoryMapping turns a trace app's allocated memory into the memory a
// deployment is configured with, and, where the plan bills what was used
// (Azure Consumption), the observed memory billed.
type MemoryMapping struct {
	// SizeFrom is the statistic of the app's allocated memory the
	// configured size must hold: average, p1, p5, p25, p50, p75, p95, p99,
	// p100 or max.
	SizeFrom string `json:"size_from"`
	// Headroom multiplies it (1: none).
	Headroom float64 `json:"headroom"`
	// SizesMB are the sizes the plan offers, ascending: the configured size
	// is the least that holds the need (the largest when none does). When
	// empty, the need is rounded up to a multiple of StepMB.
	SizesMB []int `json:"sizes_mb,omitempty"`
	StepMB  int   `json:"step_mb,omitempty"`
	// MinMB and MaxMB clamp the configured size.
	MinMB int `json:"min_mb"`
	MaxMB int `json:"max_mb"`
	// ObservedFrom, when set, is the statistic billed as the invocation's
	// observed memory, for plans that bill it (the card rounds it).
	ObservedFrom string `json:"observed_from,omitempty"`
}

// Map returns the configured and observed memory (0: none) for an app.
func (m MemoryMapping) Map(mem trace.Memory) (configuredMB, observedMB int, err error) {
	need, err := mem.Stat(m.SizeFrom)
	if err != nil {
		return 0, 0, fmt.Errorf("memory size_from: %w", err)
	}
	need *= m.Headroom
	switch {
	case len(m.SizesMB) > 0:
		configuredMB = m.SizesMB[len(m.SizesMB)-1]
		for _, s := range m.SizesMB {
			if float64(s) >= need {
				configuredMB = s
				break
			}
		}
	case m.StepMB > 0:
		configuredMB = int(math.Ceil(need/float64(m.StepMB))) * m.StepMB
	default:
		configuredMB = int(math.Ceil(need))
	}
	configuredMB = min(max(configuredMB, m.MinMB), m.MaxMB)
	if m.ObservedFrom != "" {
		obs, err := mem.Stat(m.ObservedFrom)
		if err != nil {
			return 0, 0, fmt.Errorf("memory observed_from: %w", err)
		}
		observedMB = max(1, int(math.Ceil(obs)))
	}
	return configuredMB, observedMB, nil
}

func (m MemoryMapping) validate(field string, plan pricing.Plan, vs *fault.Violations) {
	var probe trace.Memory
	if _, err := probe.Stat(m.SizeFrom); err != nil {
		vs.Add(field+".size_from", "%s", err.Error())
	}
	if m.ObservedFrom != "" {
		if _, err := probe.Stat(m.ObservedFrom); err != nil {
			vs.Add(field+".observed_from", "%s", err.Error())
		}
	}
	if !finite(m.Headroom) || m.Headroom < 1 || m.Headroom > 16 {
		vs.Add(field+".headroom", "%v is outside 1-16", m.Headroom)
	}
	if !slices.IsSorted(m.SizesMB) || len(m.SizesMB) > 0 && m.SizesMB[0] <= 0 {
		vs.Add(field+".sizes_mb", "sizes must be positive and ascending")
	}
	if m.StepMB < 0 {
		vs.Add(field+".step_mb", "%d is negative", m.StepMB)
	}
	lo, hi := pricing.MemoryRangeOf(plan)
	if m.MinMB < lo || m.MaxMB > hi || m.MinMB > m.MaxMB {
		vs.Add(field, "min_mb %d and max_mb %d must lie within plan %s's %d-%d MB", m.MinMB, m.MaxMB, plan, lo, hi)
	}
}

// ProviderModel is how one cloud is simulated: where and on which plan every
// trace function is deployed there, how fast it runs, what the network and
// the platform add, cold starts, reclamation of idle instances, failures, and
// how the trace's memory maps to the plan's sizes. DefaultProviders documents
// the defaults and their sources.
type ProviderModel struct {
	Region string       `json:"region"`
	Plan   string       `json:"plan"`
	Arch   catalog.Arch `json:"arch"`
	// SpeedFactor multiplies the trace's execution time (1: as measured on
	// Azure in the trace).
	SpeedFactor float64 `json:"speed_factor"`
	// OverheadMs is what the network and the platform add to the execution
	// time, per call, as the caller sees it.
	OverheadMs Dist `json:"overhead_ms"`
	// ColdStartMs is the latency a cold start adds.
	ColdStartMs Dist `json:"cold_start_ms"`
	// ColdStartBilledShare is the share of the cold start billed as
	// execution time (0: none; 1: all of it).
	ColdStartBilledShare float64 `json:"cold_start_billed_share"`
	// KeepAliveMinutes is how long an idle instance lives: a call after a
	// longer idle time starts cold.
	KeepAliveMinutes float64 `json:"keep_alive_minutes"`
	// FailureRate is the probability that an attempt fails (after running,
	// so it is billed) and the call fails over.
	FailureRate float64 `json:"failure_rate"`
	// DistanceKm is from the simulated callers to the region (the weighted
	// strategy's affinity); negative when unknown.
	DistanceKm float64       `json:"distance_km"`
	Memory     MemoryMapping `json:"memory"`
}

// ProviderSet is the three clouds' models. Every trace function is deployed
// on all three.
type ProviderSet struct {
	AWS   ProviderModel `json:"aws"`
	Azure ProviderModel `json:"azure"`
	GCP   ProviderModel `json:"gcp"`
}

// providers lists the providers in index order.
var providers = [nProv]catalog.Provider{catalog.AWS, catalog.Azure, catalog.GCP}

const nProv = 3

func provIndex(p catalog.Provider) int {
	switch p {
	case catalog.AWS:
		return 0
	case catalog.Azure:
		return 1
	case catalog.GCP:
		return 2
	}
	return -1
}

// Models returns the models in provider order (aws, azure, gcp).
func (s *ProviderSet) Models() [nProv]*ProviderModel {
	return [nProv]*ProviderModel{&s.AWS, &s.Azure, &s.GCP}
}

// DefaultProviders returns the built-in models. Callers are assumed in the
// US East (northern Virginia). Figures marked "assumption" have no published
// source that applies; the rest cite one.
//
// Deployment: AWS Lambda us-east-1 x86_64; Azure Functions Consumption
// eastus; Google Cloud Run functions (gen2) us-central1 — each cloud's
// default plan in the US region nearest the callers for which FISO ships a
// rate card (pricing.Defaults).
//
// Speed factor 1 on every cloud (assumption): the trace's execution times
// were measured on Azure, and no published cross-cloud benchmark applies to
// unknown code. Lambda and Cloud Run allot CPU in proportion to memory, so
// CPU-bound functions at small sizes would run slower there; set
// speed_factor from your own measurements.
//
// Overhead (assumption): the network round trip and the platform's invoke
// path, caller to answer, excluding execution. AWS median 20 ms / p95 60 ms
// and Azure 25 / 80 ms (same metro as the callers); GCP 45 / 110 ms (Iowa,
// about 25-30 ms further by round trip).
//
// Cold starts, from M. Shilkov's measurements of "hello world" functions,
// "Cold Starts in Serverless Functions" (https://mikhail.io/serverless/coldstarts/big3/,
// with the per-cloud pages under /serverless/coldstarts/{aws,azure,gcp}/):
// AWS "well below 1 second" for every common language: median 250 ms, p95
// 700 ms; Azure Consumption typically 1-10 s: median 2,000 ms, p95 6,000 ms;
// GCP "between 0.5 and 2 seconds": median 1,000 ms, p95 2,500 ms. Medians and
// p95s within those ranges are assumptions; functions with dependencies start
// slower.
//
// Billed cold start: AWS bills the INIT phase since 1 August 2025
// (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/);
// the part of a cold start that is INIT rather than placement is assumed
// 0.6. Cloud Run request-based billing charges instance startup
// (https://cloud.google.com/run/docs/configuring/billing-settings): 1.
// Azure Consumption bills execution time only
// (https://azure.microsoft.com/pricing/details/functions/): 0.
//
// Keep-alive: Azure 20 minutes, the fixed policy Shahrad et al. (USENIX ATC
// 2020) describe for the traced platform and Shilkov measures; AWS 10
// minutes and GCP 15 minutes, from Shilkov's pages (AWS measurements there
// ranged from 5-7 to 25-65 minutes over the years; AWS documents no figure).
//
// Failure rate 0.0005 everywhere: each cloud's SLA commits to 99.95% monthly
// uptime (https://aws.amazon.com/lambda/sla/,
// https://www.microsoft.com/licensing/docs/view/Service-Level-Agreements-SLA-for-Online-Services,
// https://cloud.google.com/functions/sla); reading it as a per-call failure
// probability is an assumption (an upper bound in a month that meets it).
//
// Distance from northern Virginia: us-east-1 (Ashburn area) 0 km, eastus
// (southern Virginia) 250 km, us-central1 (Council Bluffs, Iowa) 1,600 km.
//
// Memory: Lambda and Cloud Run bill the configured memory, which must hold
// the app's peak, so they are sized from the trace's largest sample (max):
// Lambda in 64 MB steps from 128 MB (it allows any MB from 128 to 10,240),
// Cloud Run functions at the next of its sizes, 128 MiB to 32 GiB
// (https://cloud.google.com/functions/docs/configuring/memory). Azure
// Consumption bills the memory an execution used, rounded up to 128 MB
// (pricing.BillingOf), so it bills the app's average allocated memory.
func DefaultProviders() ProviderSet {
	return ProviderSet{
		AWS: ProviderModel{
			Region: "us-east-1", Plan: string(pricing.Lambda), Arch: catalog.X86_64,
			SpeedFactor:          1,
			OverheadMs:           Dist{Median: 20, P95: 60},
			ColdStartMs:          Dist{Median: 250, P95: 700},
			ColdStartBilledShare: 0.6,
			KeepAliveMinutes:     10,
			FailureRate:          0.0005,
			DistanceKm:           0,
			Memory:               MemoryMapping{SizeFrom: "max", Headroom: 1, StepMB: 64, MinMB: 128, MaxMB: 10240},
		},
		Azure: ProviderModel{
			Region: "eastus", Plan: string(pricing.Consumption), Arch: catalog.X86_64,
			SpeedFactor:          1,
			OverheadMs:           Dist{Median: 25, P95: 80},
			ColdStartMs:          Dist{Median: 2000, P95: 6000},
			ColdStartBilledShare: 0,
			KeepAliveMinutes:     20,
			FailureRate:          0.0005,
			DistanceKm:           250,
			Memory:               MemoryMapping{SizeFrom: "max", Headroom: 1, StepMB: 128, MinMB: 128, MaxMB: 1536, ObservedFrom: "average"},
		},
		GCP: ProviderModel{
			Region: "us-central1", Plan: string(pricing.Gen2), Arch: catalog.X86_64,
			SpeedFactor:          1,
			OverheadMs:           Dist{Median: 45, P95: 110},
			ColdStartMs:          Dist{Median: 1000, P95: 2500},
			ColdStartBilledShare: 1,
			KeepAliveMinutes:     15,
			FailureRate:          0.0005,
			DistanceKm:           1600,
			Memory: MemoryMapping{SizeFrom: "max", Headroom: 1,
				SizesMB: []int{128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768}, MinMB: 128, MaxMB: 32768},
		},
	}
}

// LoadProviders reads a providers file: a JSON object with any of "aws",
// "azure" and "gcp", each with any of ProviderModel's fields. Fields left out
// keep the defaults (sizes_mb, when given, replaces the list). Unknown fields
// are an error.
func LoadProviders(r io.Reader) (ProviderSet, error) {
	set := DefaultProviders()
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return ProviderSet{}, fmt.Errorf("read providers: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&set); err != nil {
		return ProviderSet{}, fault.Invalid("providers", "decode providers: %v", err)
	}
	if dec.More() {
		return ProviderSet{}, fault.Invalid("providers", "the providers file holds more than one JSON value")
	}
	return set, nil
}

// Validate checks every model against the rate cards they will be priced
// with.
func (s *ProviderSet) Validate(cards []pricing.Card) error {
	var vs fault.Violations
	for i, m := range s.Models() {
		p := providers[i]
		field := string(p)
		plan := pricing.Plan(m.Plan)
		if !slices.Contains(catalog.PlansOf(p), m.Plan) {
			vs.Add(field+".plan", "plan %q is not one of %s's plans %v", m.Plan, p, catalog.PlansOf(p))
		}
		key := pricing.Key{Provider: p, Plan: plan, Region: m.Region, Arch: m.Arch}
		if _, ok := pricing.Find(cards, key); !ok {
			vs.Add(field, "no rate card for %s", key)
		}
		if !finite(m.SpeedFactor) || m.SpeedFactor <= 0 || m.SpeedFactor > 100 {
			vs.Add(field+".speed_factor", "%v is outside (0, 100]", m.SpeedFactor)
		}
		m.OverheadMs.validate(field+".overhead_ms", &vs)
		m.ColdStartMs.validate(field+".cold_start_ms", &vs)
		if !finite(m.ColdStartBilledShare) || m.ColdStartBilledShare < 0 || m.ColdStartBilledShare > 1 {
			vs.Add(field+".cold_start_billed_share", "%v is outside 0-1", m.ColdStartBilledShare)
		}
		if !finite(m.KeepAliveMinutes) || m.KeepAliveMinutes < 0 {
			vs.Add(field+".keep_alive_minutes", "%v must be finite and non-negative", m.KeepAliveMinutes)
		}
		if !finite(m.FailureRate) || m.FailureRate < 0 || m.FailureRate >= 1 {
			vs.Add(field+".failure_rate", "%v is outside [0, 1)", m.FailureRate)
		}
		if !finite(m.DistanceKm) {
			vs.Add(field+".distance_km", "%v is not finite", m.DistanceKm)
		}
		m.Memory.validate(field+".memory", plan, &vs)
	}
	return vs.Err()
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
