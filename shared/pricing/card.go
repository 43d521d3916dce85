// Package pricing is FISO's model of what the three clouds charge for a
// function invocation: rate cards (per provider, plan, region and
// architecture: tiered unit prices, monthly free grants, billing granularity,
// with the source and fetch time of every price) and the billed cost of one
// invocation under a card. Fetchers for each cloud's price list live in
// pricing/awsprice, pricing/azureprice and pricing/gcpprice; this package
// imports no cloud SDK.
//
// # Two kinds of cost
//
// [Card.Cost] is the list price of one invocation: per meter, the first tier
// with a price above $0 (the marginal list price), with no free grant. Free
// grants are monthly and account-wide, so they exist only in
// [Card.Monthly], which bills a month's quantities: grants first, then the
// tiers.
//
// # Free grants and $0 tiers: the rule
//
// Azure's and Google's price lists publish a free allowance as a leading $0
// tier ("0 to 400,000 GB-s at $0"); AWS publishes it apart. Both shapes mean
// the same thing, and FISO never subtracts an allowance twice:
//
//   - Tiers lie on the axis of the month's total usage, from 0. A free grant
//     of G units covers usage [0, G); a leading $0 tier [0, T) covers [0, T).
//     They overlap rather than add up: the free part of a month is the larger
//     of the two, never their sum.
//   - A fetcher may therefore keep the list's $0 row, or (preferred) drop it
//     and state the allowance as a grant, leaving the first paid tier at the
//     allowance (From = T, covered by a grant of at least T) or at 0.
//   - The canonical form has no $0 tiers and every first tier at 0, with the
//     allowance as a grant (the larger one wins): [Card.Canonical].
//     [Card.Seal] and [Compare] work on it, so the shapes of one price list
//     get one version and no spurious changes.
//   - [Card.Validate] accepts a $0 tier only as that leading free row; a $0
//     price anywhere else is an error naming the meter.
//
// Google's pricing pages describe the free tier of a Tier 2 region as a
// spending discount worth the Tier 1 free units at Tier 1 prices, while the
// Cloud Billing Catalog gives Tier 2 SKUs a $0 first tier of the same units
// as Tier 1. FISO follows the catalog (the list billing applies), for the
// built-in cards and the pulled ones alike, so a pull never "changes" a
// grant; a Tier 2 month's free dollars may therefore read up to 1.4 times
// the pages' figure.
//
// # Units
//
// AWS, Azure and Google (1st gen GB-seconds, Cloud Run GiB-seconds) all count
// 1 GB as 1024 MB: a GB-second of a function with m MB of memory for d ms is
// d/1000 * m/1024. 1st gen GHz-seconds use the clock [Gen1GHz] allots to the
// memory size; Cloud Run functions vCPU-seconds use [Gen2VCPU].
package pricing

import (
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
)

// Plan is a pricing plan of a provider's functions product.
type Plan string

// The plans FISO prices.
const (
	// Lambda is AWS Lambda on-demand (x86_64 and arm64 priced apart).
	Lambda Plan = "lambda"
	// Consumption is Azure Functions Consumption (Linux or Windows).
	Consumption Plan = "consumption"
	// Flex is Azure Functions Flex Consumption, On Demand meters.
	Flex Plan = "flex"
	// Gen1 is Google Cloud Functions 1st gen (GHz-seconds and GB-seconds).
	Gen1 Plan = "gen1"
	// Gen2 is Cloud Run functions / Cloud Functions 2nd gen (vCPU-seconds
	// and GiB-seconds, Cloud Run's request-based billing).
	Gen2 Plan = "gen2"
)

// PlansOf lists a provider's plans, the default first.
func PlansOf(p catalog.Provider) []Plan {
	names := catalog.PlansOf(p) // the catalog validates deployments' plans by the same names
	plans := make([]Plan, len(names))
	for i, n := range names {
		plans[i] = Plan(n)
	}
	return plans
}

// Meter is a priced quantity.
type Meter string

// Meters. Memory meters use the unit each provider bills in: AWS, Azure and
// GCP 1st gen bill GB-seconds of configured (Azure Consumption: observed)
// memory, where all three count 1 GB as 1024 MB (GCP's 1st gen price table
// only adds up that way); Cloud Run functions bill GiB-seconds.
const (
	GBSecond   Meter = "gb_second"
	GiBSecond  Meter = "gib_second"
	GHzSecond  Meter = "ghz_second"
	VCPUSecond Meter = "vcpu_second"
	Request    Meter = "request"
)

// Tier is a price that applies to monthly usage from From (inclusive) up to
// To (exclusive; 0 means no upper bound), in the meter's units.
type Tier struct {
	From float64 `json:"from"`
	To   float64 `json:"to,omitempty"`
	// USDPerUnit is the price of one unit of the meter (one GB-second, one
	// request), whatever unit the provider quotes in (AWS per request; Azure
	// per 10 executions; GCP per million requests are all converted).
	USDPerUnit float64 `json:"usd_per_unit"`
	// Quoted is the price exactly as the provider published it, with its
	// unit, for provenance ("0.0000166667 USD per Lambda-GB-Second").
	Quoted string `json:"quoted"`
}

// Price is the tiered price of one meter.
type Price struct {
	Meter Meter  `json:"meter"`
	Tiers []Tier `json:"tiers"`
	// SourceID identifies the price in the provider's list (AWS SKU and rate
	// code, Azure meterId, GCP SKU name).
	SourceID string `json:"source_id,omitempty"`
}

// Grant is a monthly free allowance of a meter.
type Grant struct {
	Meter Meter   `json:"meter"`
	Units float64 `json:"units"`
}

// Billing is how a plan turns a measured invocation into billed quantities.
type Billing struct {
	// MinDurationMs is the least duration billed; StepMs the rounding step
	// above it (AWS 1 and 1; Azure Consumption 100 and 1; Flex 1000 and 100;
	// GCP 100 and 100).
	MinDurationMs float64 `json:"min_duration_ms"`
	StepMs        float64 `json:"step_ms"`
	// MemoryStepMB rounds billed memory up to a multiple (Azure
	// Consumption: 128 MB of observed memory); 0 bills configured memory.
	MemoryStepMB int `json:"memory_step_mb,omitempty"`
	MinMemoryMB  int `json:"min_memory_mb,omitempty"`
	// BillsObservedMemory is true where the platform bills the memory the
	// invocation used rather than the memory configured (Azure Consumption).
	BillsObservedMemory bool `json:"bills_observed_memory,omitempty"`
}

// Card is the rate card of one provider, plan, region and architecture.
type Card struct {
	Provider catalog.Provider `json:"provider"`
	Plan     Plan             `json:"plan"`
	Region   string           `json:"region"`
	Arch     catalog.Arch     `json:"arch"`
	Currency string           `json:"currency"`
	Prices   []Price          `json:"prices"`
	// FreeGrants are monthly and account-wide (AWS: per account across
	// regions; Azure: per subscription; GCP: per billing account); they are
	// applied in monthly aggregates, never to one invocation.
	FreeGrants []Grant `json:"free_grants,omitempty"`
	Billing    Billing `json:"billing"`
	// BillingOverride says why Billing differs from BillingOf(Plan) (a
	// provider changed its rounding before FISO did). Empty means it must
	// not differ: Validate reports a card whose billing deviates silently.
	BillingOverride string `json:"billing_override,omitempty"`
	// EffectiveDate is when the provider says the prices took effect.
	EffectiveDate time.Time `json:"effective_date"`
	// Source is where the prices came from: the API URL, a saved file, or
	// "built-in" for the defaults shipped in the binary.
	Source    string    `json:"source"`
	FetchedAt time.Time `json:"fetched_at"`
	// Version identifies the card's content (a hash of prices, grants and
	// billing), so that records can name the card that priced them and an
	// unchanged pull does not make a new version.
	Version string `json:"version"`
}

// Key identifies the card a deployment is priced with.
type Key struct {
	Provider catalog.Provider `json:"provider"`
	Plan     Plan             `json:"plan"`
	Region   string           `json:"region"`
	Arch     catalog.Arch     `json:"arch"`
}

// KeyOf returns c's key.
func (c Card) KeyOf() Key {
	return Key{Provider: c.Provider, Plan: c.Plan, Region: c.Region, Arch: c.Arch}
}

// String is "provider/plan/region/arch".
func (k Key) String() string {
	return string(k.Provider) + "/" + string(k.Plan) + "/" + k.Region + "/" + string(k.Arch)
}

// Usage is what one invocation used, as measured or reported.
type Usage struct {
	// DurationMs is the execution time: the provider's billed duration when
	// it reports one (AWS), else FISO's measured round trip.
	DurationMs float64
	// MemoryMB is the configured memory.
	MemoryMB int
	// ObservedMemoryMB is the memory the invocation used, where known
	// (AWS Max Memory Used); plans that bill observed memory use it, or
	// MemoryMB when it is 0.
	ObservedMemoryMB int
}

// Cost is the billed cost of one invocation at list price (the first paid
// tier; no free grant), with its parts.
type Cost struct {
	BilledDurationMs float64 `json:"billed_duration_ms"`
	BilledMemoryMB   int     `json:"billed_memory_mb"`
	// Quantities are the billed units per meter (GB-seconds, requests ...).
	Quantities  map[Meter]float64 `json:"quantities"`
	ComputeUSD  float64           `json:"compute_usd"`
	RequestUSD  float64           `json:"request_usd"`
	TotalUSD    float64           `json:"total_usd"`
	CardVersion string            `json:"card_version"`
}
