package pricing

import (
	"math"
	"testing"
)

// The providers' own worked examples, recomputed with the built-in cards.
// The pages round their answers to the cent (or to the digits shown); the
// want values here are the same arithmetic unrounded, and the page's figure
// is in the comment. Where a page prices something FISO does not (ephemeral
// storage, durable-function operations, tenant isolation, streamed bytes,
// provisioned concurrency), only the request and duration lines are checked.

const (
	awsPricingPage   = "https://aws.amazon.com/lambda/pricing/"
	azureCostsDoc    = "https://learn.microsoft.com/azure/azure-functions/functions-consumption-costs"
	azurePricingPage = "https://azure.microsoft.com/pricing/details/functions/"
	gcpGen1Pricing   = "https://cloud.google.com/functions/pricing-1stgen"
	gcpRunPricing    = "https://cloud.google.com/run/pricing"
	gcpGen1MemoryDoc = "https://cloud.google.com/functions/1stgendocs/configuring/memory"
)

func TestPublishedMonthlyExamples(t *testing.T) {
	tests := []struct {
		name   string
		source string
		card   Key
		grants bool // false: the example ignores the free tier
		usage  Usage
		count  float64
		// meters limits the bill to the lines the page prices with FISO's
		// meters (nil: all of them).
		meters []Meter
		// extra quantities added on top of count*usage (requests counted
		// apart from the invocations above).
		extra     map[Meter]float64
		wantUSD   map[Meter]float64
		wantTotal float64
	}{
		{
			// "Example 1: Mobile application backend": 3M requests, 120 ms,
			// 1536 MB, x86: 140,000 GB-s * $0.0000166667 = $2.33, 2M
			// requests * $0.2/M = $0.40, total $2.73.
			name: "aws mobile backend", source: awsPricingPage, card: awsUSE1x86, grants: true,
			usage: Usage{DurationMs: 120, MemoryMB: 1536}, count: 3e6,
			wantUSD:   map[Meter]float64{GBSecond: 2.333338, Request: 0.4},
			wantTotal: 2.733338,
		},
		{
			// "Example 2: Enriching streaming telemetry": 7.44M messages, 2 s,
			// 1024 MB, x86, no free tier in the example: 14.88M GB-s *
			// $0.0000166667 = $248.00, 7.44M * $0.20/M = $1.488, total $249.49.
			name: "aws streaming telemetry", source: awsPricingPage, card: awsUSE1x86,
			usage: Usage{DurationMs: 2000, MemoryMB: 1024}, count: 7.44e6,
			wantUSD:   map[Meter]float64{GBSecond: 248.000496, Request: 1.488},
			wantTotal: 249.488496,
		},
		{
			// "Example 3: Performing ML on customer support tickets": 6M
			// requests, 280 ms, 4096 MB, x86: 6,320,000 GB-s = $105.33, 5M
			// requests = $1; the page adds $0.08 of ephemeral storage for
			// $106.41.
			name: "aws ml on support tickets", source: awsPricingPage, card: awsUSE1x86, grants: true,
			usage: Usage{DurationMs: 280, MemoryMB: 4096}, count: 6e6,
			wantUSD:   map[Meter]float64{GBSecond: 105.333544, Request: 1},
			wantTotal: 106.333544,
		},
		{
			// Durable functions example, the Lambda lines: 1M executions of
			// 32 s at 1 GB on Arm, two invocations each: 31,600,000 GB-s *
			// $0.0000133334 = $421.34, 1M billable requests = $0.20.
			name: "aws durable functions arm", source: awsPricingPage, card: awsUSE1arm, grants: true,
			usage: Usage{DurationMs: 32000, MemoryMB: 1024}, count: 1e6,
			extra:     map[Meter]float64{Request: 1e6},
			wantUSD:   map[Meter]float64{GBSecond: 421.33544, Request: 0.2},
			wantTotal: 421.53544,
		},
		{
			// Tenant isolation example, the Lambda lines (no free tier in the
			// example): 10M invokes of 2 s at 1024 MB, x86: 20M GB-s *
			// $0.0000166667 = $333.34, 10M * $0.2/M = $2.
			name: "aws tenant isolation", source: awsPricingPage, card: awsUSE1x86,
			usage: Usage{DurationMs: 2000, MemoryMB: 1024}, count: 10e6,
			wantUSD:   map[Meter]float64{GBSecond: 333.334, Request: 2},
			wantTotal: 335.334,
		},
		{
			// Response streaming example, the Lambda lines: 3M requests,
			// 500 ms, 1536 MB, x86: 1,850,000 GB-s = $30.83, requests $0.40.
			name: "aws response streaming", source: awsPricingPage, card: awsUSE1x86, grants: true,
			usage: Usage{DurationMs: 500, MemoryMB: 1536}, count: 3e6,
			wantUSD:   map[Meter]float64{GBSecond: 30.833395, Request: 0.4},
			wantTotal: 31.233395,
		},
		{
			// Provisioned Concurrency example 1, compute while it is disabled:
			// 2.5M requests of 120 ms at 1536 MB: 450,000 - 400,000 GB-s =
			// 50,000 * $0.0000166667 = $0.83.
			name: "aws compute outside provisioned concurrency", source: awsPricingPage, card: awsUSE1x86, grants: true,
			usage: Usage{DurationMs: 120, MemoryMB: 1536}, count: 2.5e6, meters: []Meter{GBSecond},
			wantUSD:   map[Meter]float64{GBSecond: 0.833335},
			wantTotal: 0.833335,
		},
		{
			// Flex Consumption, CPU-bound workload, one hour, no free grants:
			// 10 instances of 2,048 MB busy for 3,600 s = 72,000 GB-s *
			// $0.000026 = $1.872, 144,000 executions * $0.40/M = $0.0576,
			// total $1.9296. One instance busy for an hour is 3,600 one-second
			// executions' worth of GB-s.
			name: "azure flex cpu-bound hour", source: azureCostsDoc, card: azFlexEast,
			usage: Usage{DurationMs: 1000, MemoryMB: 2048}, count: 36000, meters: []Meter{GBSecond},
			extra:     map[Meter]float64{Request: 144000},
			wantUSD:   map[Meter]float64{GBSecond: 1.872, Request: 0.0576},
			wantTotal: 1.9296,
		},
		{
			// The same app, IO-bound, on one instance: 7,200 GB-s = $0.1872,
			// executions $0.0576, total $0.245 (exactly $0.2448).
			name: "azure flex io-bound hour", source: azureCostsDoc, card: azFlexEast,
			usage: Usage{DurationMs: 1000, MemoryMB: 2048}, count: 3600, meters: []Meter{GBSecond},
			extra:     map[Meter]float64{Request: 144000},
			wantUSD:   map[Meter]float64{GBSecond: 0.1872, Request: 0.0576},
			wantTotal: 0.2448,
		},
		{
			// The Azure Functions pricing page's Consumption example: 3M
			// executions a month, 1 s each, 512 MB: 1,500,000 GB-s less the
			// 400,000 free = 1,100,000 * $0.000016 = $17.60; 3M executions
			// less the 1M free = 2M * $0.20/M = $0.40; total $18.00.
			name: "azure consumption 3M executions at 512 MB", source: azurePricingPage, card: azConsEast, grants: true,
			usage: Usage{DurationMs: 1000, MemoryMB: 512, ObservedMemoryMB: 512}, count: 3e6,
			wantUSD:   map[Meter]float64{GBSecond: 17.6, Request: 0.4},
			wantTotal: 18,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultCard(t, tc.card)
			if !tc.grants {
				c = noGrants(c)
			}
			q := times(t, c, tc.usage, tc.count)
			if tc.meters != nil {
				kept := make(map[Meter]float64, len(tc.meters))
				for _, m := range tc.meters {
					kept[m] = q[m]
				}
				q = kept
			}
			for m, v := range tc.extra {
				q[m] += v
			}
			bill, err := c.Monthly(q)
			if err != nil {
				t.Fatalf("Monthly(%v): %v (source %s)", q, err, tc.source)
			}
			for m, want := range tc.wantUSD {
				if got := bill.Lines[m].USD; !closeAbs(got, want) {
					t.Errorf("%s: got $%.9f, want $%.9f (source %s)", m, got, want, tc.source)
				}
			}
			if !closeAbs(bill.TotalUSD, tc.wantTotal) {
				t.Errorf("total: got $%.9f, want $%.9f (source %s)", bill.TotalUSD, tc.wantTotal, tc.source)
			}
		})
	}
}

// invocationExample is one published per-invocation figure.
type invocationExample struct {
	name      string
	source    string
	card      Key
	usage     Usage
	wantMs    float64
	wantMB    int
	wantQ     map[Meter]float64
	wantComp  float64
	wantTotal float64
	// wantRounds is the page's figure for ComputeUSD, at roundTo places.
	wantRounds float64
	roundTo    int
}

func TestPublishedInvocationExamples(t *testing.T) {
	tests := []invocationExample{
		{
			// The x86 duration price per 1 ms at 128 MB: $0.0000000021.
			name: "aws x86 128 MB per ms", source: awsPricingPage, card: awsUSE1x86,
			usage: Usage{DurationMs: 1, MemoryMB: 128}, wantMs: 1, wantMB: 128,
			wantQ:    map[Meter]float64{GBSecond: 0.000125, Request: 1},
			wantComp: 2.0833375e-9, wantTotal: 2.020833375e-7, wantRounds: 0.0000000021, roundTo: 10,
		},
		{
			// ... and at 10,240 MB: $0.0000001667.
			name: "aws x86 10240 MB per ms", source: awsPricingPage, card: awsUSE1x86,
			usage: Usage{DurationMs: 1, MemoryMB: 10240}, wantMs: 1, wantMB: 10240,
			wantQ:    map[Meter]float64{GBSecond: 0.01, Request: 1},
			wantComp: 1.66667e-7, wantTotal: 3.66667e-7, wantRounds: 0.0000001667, roundTo: 10,
		},
		{
			// The Arm price per 1 ms at 128 MB: $0.0000000017.
			name: "aws arm 128 MB per ms", source: awsPricingPage, card: awsUSE1arm,
			usage: Usage{DurationMs: 1, MemoryMB: 128}, wantMs: 1, wantMB: 128,
			wantQ:    map[Meter]float64{GBSecond: 0.000125, Request: 1},
			wantComp: 1.666675e-9, wantTotal: 2.01666675e-7, wantRounds: 0.0000000017, roundTo: 10,
		},
		{
			// ... and at 10,240 MB: $0.0000001333.
			name: "aws arm 10240 MB per ms", source: awsPricingPage, card: awsUSE1arm,
			usage: Usage{DurationMs: 1, MemoryMB: 10240}, wantMs: 1, wantMB: 10240,
			wantQ:    map[Meter]float64{GBSecond: 0.01, Request: 1},
			wantComp: 1.33334e-7, wantTotal: 3.33334e-7, wantRounds: 0.0000001333, roundTo: 10,
		},
		{
			// "your function consumed 0.5 GB for 3 seconds. Then the execution
			// cost is 0.5GB * 3s = 1.5 GB-seconds".
			name: "azure 0.5 GB for 3 s", source: azureCostsDoc, card: azConsEast,
			usage: Usage{DurationMs: 3000, ObservedMemoryMB: 512}, wantMs: 3000, wantMB: 512,
			wantQ:    map[Meter]float64{GBSecond: 1.5, Request: 1},
			wantComp: 0.000024, wantTotal: 0.0000242,
		},
		{
			// "When your process is using 160 MB, you're charged for 256 MB."
			name: "azure 160 MB billed as 256 MB", source: azureCostsDoc, card: azConsEast,
			usage: Usage{DurationMs: 1000, MemoryMB: 1536, ObservedMemoryMB: 160}, wantMs: 1000, wantMB: 256,
			wantQ:    map[Meter]float64{GBSecond: 0.25, Request: 1},
			wantComp: 0.000004, wantTotal: 0.0000042,
		},
		{
			// "a function executing for 260ms would be billed as 300ms".
			name: "gcp 1st gen 260 ms billed as 300 ms", source: gcpGen1Pricing, card: gcpGen1T1,
			usage: Usage{DurationMs: 260, MemoryMB: 128}, wantMs: 300, wantMB: 128,
			wantQ:    map[Meter]float64{GBSecond: 0.0375, GHzSecond: 0.06, Request: 1},
			wantComp: 6.9375e-7, wantTotal: 1.09375e-6,
		},
		// The 1st gen compute-time table, Tier 1 price per 100 ms. These
		// only add up with 1 GB = 1024 MB (4,096 MB is 4 GB: $0.0000058).
		gen1Row("128MB 200MHz", 128, 0.0125, 0.02, 2.3125e-7, 0.000000231),
		gen1Row("256MB 400MHz", 256, 0.025, 0.04, 4.625e-7, 0.000000463),
		gen1Row("512MB 800MHz", 512, 0.05, 0.08, 9.25e-7, 0.000000925),
		gen1Row("1024MB 1.4GHz", 1024, 0.1, 0.14, 1.65e-6, 0.000001650),
		gen1Row("2048MB 2.4GHz", 2048, 0.2, 0.24, 2.9e-6, 0.000002900),
		gen1Row("4096MB 4.8GHz", 4096, 0.4, 0.48, 5.8e-6, 0.000005800),
		gen1Row("8192MB 4.8GHz", 8192, 0.8, 0.48, 6.8e-6, 0.000006800),
		{
			// "A GiB-second means for example running a 1 gibibyte instance
			// for 1 second, or running a 256 mebibyte instance for 4 seconds."
			name: "gcp run 256 MiB for 4 s", source: gcpRunPricing, card: gcpGen2T1,
			usage: Usage{DurationMs: 4000, MemoryMB: 256}, wantMs: 4000, wantMB: 256,
			wantQ:    map[Meter]float64{GiBSecond: 1, VCPUSecond: 0.668, Request: 1},
			wantComp: 0.000018532, wantTotal: 0.000018932,
		},
		{
			name: "gcp run 1 GiB for 1 s", source: gcpRunPricing, card: gcpGen2T1,
			usage: Usage{DurationMs: 1000, MemoryMB: 1024}, wantMs: 1000, wantMB: 1024,
			wantQ:    map[Meter]float64{GiBSecond: 1, VCPUSecond: 0.583, Request: 1},
			wantComp: 0.000016492, wantTotal: 0.000016892,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := defaultCard(t, tc.card).Cost(tc.usage)
			if err != nil {
				t.Fatalf("Cost(%+v): %v", tc.usage, err)
			}
			if got.BilledDurationMs != tc.wantMs || got.BilledMemoryMB != tc.wantMB {
				t.Errorf("billed %v ms at %d MB, want %v ms at %d MB (source %s)", got.BilledDurationMs, got.BilledMemoryMB, tc.wantMs, tc.wantMB, tc.source)
			}
			for m, want := range tc.wantQ {
				if q := got.Quantities[m]; !closeRel(q, want) {
					t.Errorf("%s: got %v units, want %v (source %s)", m, q, want, tc.source)
				}
			}
			if !closeRel(got.ComputeUSD, tc.wantComp) {
				t.Errorf("compute: got $%v, want $%v (source %s)", got.ComputeUSD, tc.wantComp, tc.source)
			}
			if !closeRel(got.TotalUSD, tc.wantTotal) {
				t.Errorf("total: got $%v, want $%v (source %s)", got.TotalUSD, tc.wantTotal, tc.source)
			}
			if tc.roundTo > 0 {
				scale := math.Pow(10, float64(tc.roundTo))
				if r := math.Round(got.ComputeUSD*scale) / scale; !closeRel(r, tc.wantRounds) {
					t.Errorf("compute rounded to %d places: got $%v, want the published $%v (source %s)", tc.roundTo, r, tc.wantRounds, tc.source)
				}
			}
		})
	}
}

// gen1Row is one row of the 1st gen Tier 1 compute-time table: 100 ms at
// memoryMB, with the page's price per 100 ms rounded to 9 places.
func gen1Row(name string, memoryMB int, gbs, ghzs, exact, published float64) invocationExample {
	return invocationExample{
		name: "gcp 1st gen table " + name, source: gcpGen1Pricing + " and " + gcpGen1MemoryDoc, card: gcpGen1T1,
		usage: Usage{DurationMs: 100, MemoryMB: memoryMB}, wantMs: 100, wantMB: memoryMB,
		wantQ:    map[Meter]float64{GBSecond: gbs, GHzSecond: ghzs, Request: 1},
		wantComp: exact, wantTotal: exact + 4e-7, wantRounds: published, roundTo: 9,
	}
}
