package simulate

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/trace"
)

// Report is a replay's outcome: one Result per arm, and what was replayed.
type Report struct {
	Trace       string       `json:"trace"`
	Format      trace.Format `json:"format"`
	Functions   int          `json:"functions"`
	Invocations int64        `json:"invocations"`
	// Minutes is the span replayed.
	Minutes int `json:"minutes"`
	// DurationFallbacks and MemoryFallbacks count the functions whose
	// durations or memory were not their own, by stand-in (trace.Provenance:
	// "app", "median").
	DurationFallbacks map[string]int `json:"duration_fallbacks"`
	MemoryFallbacks   map[string]int `json:"memory_fallbacks"`
	SLOMs             float64        `json:"slo_ms"`
	Seed              uint64         `json:"seed"`
	Strata            int            `json:"strata"`
	DurationTail      string         `json:"duration_tail"`
	Providers         ProviderSet    `json:"providers"`
	// Cards are the rate cards that priced the attempts (key and version).
	Cards   []string `json:"cards"`
	Results []Result `json:"results"`
	// Attribution credits the trace, as its licence requires.
	Attribution string `json:"attribution"`
}

// Result is one arm's outcome over the whole trace.
type Result struct {
	Name string `json:"name"`
	// Kind is policy, baseline or oracle (the oracle and the floor).
	Kind     string `json:"kind"`
	Strategy string `json:"strategy"`
	// Invocations counts every call; Failed those whose every attempt
	// failed, Refused those the policy allowed no deployment for.
	Invocations int64 `json:"invocations"`
	Failed      int64 `json:"failed"`
	Refused     int64 `json:"refused"`
	Failovers   int64 `json:"failovers"`
	ColdStarts  int64 `json:"cold_starts"`
	// CostUSD is the list-price cost of every attempt, failed ones
	// included; CostVsOracle divides it by the oracle's.
	CostUSD      float64          `json:"cost_usd"`
	CostVsOracle float64          `json:"cost_vs_oracle"`
	ByProvider   []ProviderResult `json:"by_provider"`
	// Latency of the calls answered or failed (refused calls have none),
	// within the histogram's 0.8%.
	LatencyP50Ms float64 `json:"latency_p50_ms"`
	LatencyP95Ms float64 `json:"latency_p95_ms"`
	LatencyP99Ms float64 `json:"latency_p99_ms"`
	// SLOViolations counts calls slower than the SLO, failed or refused.
	SLOViolations     int64   `json:"slo_violations"`
	SLOViolationShare float64 `json:"slo_violation_share"`
}

// ProviderResult is an arm's attempts on one cloud.
type ProviderResult struct {
	Provider   catalog.Provider `json:"provider"`
	Attempts   int64            `json:"attempts"`
	CostUSD    float64          `json:"cost_usd"`
	ColdStarts int64            `json:"cold_starts"`
}

// Result returns the result named name.
func (r *Report) Result(name string) (Result, bool) {
	for _, res := range r.Results {
		if res.Name == name {
			return res, true
		}
	}
	return Result{}, false
}

func (e *engine) newReport(name string, f trace.Format) *Report {
	rep := &Report{
		Trace: name, Format: f,
		DurationFallbacks: map[string]int{}, MemoryFallbacks: map[string]int{},
		SLOMs: e.cfg.SLOMs, Seed: e.cfg.Seed, Strata: e.cfg.Strata, DurationTail: e.cfg.Tail.String(),
		Providers: e.cfg.Providers, Attribution: trace.Attribution(f),
	}
	for _, c := range e.cards {
		rep.Cards = append(rep.Cards, c.KeyOf().String()+"@"+c.Version)
	}
	return rep
}

// finish merges the workers' accumulators into results.
func (e *engine) finish(rep *Report, ws []*worker) {
	total := make([]acc, len(e.arms))
	for _, w := range ws {
		for i := range e.arms {
			total[i].merge(&w.accs[i])
		}
	}
	var oracleCost float64
	for i, ar := range e.arms {
		a := &total[i]
		res := Result{
			Name: ar.name, Kind: ar.kind.String(), Strategy: ar.strategy,
			Invocations: a.invocations, Failed: a.failed, Refused: a.refused,
			Failovers: a.failovers, ColdStarts: a.coldStarts,
			LatencyP50Ms:  a.hist.Quantile(0.50),
			LatencyP95Ms:  a.hist.Quantile(0.95),
			LatencyP99Ms:  a.hist.Quantile(0.99),
			SLOViolations: int64(math.Round(float64(a.violUnits) / float64(e.unit))),
		}
		var cost femto
		for j, p := range providers {
			cost.addFemto(a.cost[j])
			res.ByProvider = append(res.ByProvider, ProviderResult{
				Provider:   p,
				Attempts:   int64(math.Round(float64(a.callUnits[j]) / float64(e.unit))),
				CostUSD:    a.cost[j].USD(),
				ColdStarts: a.coldBy[j],
			})
		}
		res.CostUSD = cost.USD()
		if a.invocations > 0 {
			res.SLOViolationShare = float64(a.violUnits) / float64(e.unit) / float64(a.invocations)
		}
		if ar.name == OracleName {
			oracleCost = res.CostUSD
		}
		rep.Results = append(rep.Results, res)
	}
	for i := range rep.Results {
		if oracleCost > 0 {
			rep.Results[i].CostVsOracle = rep.Results[i].CostUSD / oracleCost
		}
	}
}

// WriteTable prints the report as a table with the trace's attribution.
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	span := fmt.Sprintf("%s minutes", group(int64(r.Minutes)))
	if r.Minutes%1440 == 0 {
		span = fmt.Sprintf("%d day(s)", r.Minutes/1440)
	}
	fmt.Fprintf(&b, "fiso simulate: %s (%s): %s functions, %s invocations over %s; seed %d\n",
		r.Trace, r.Format, group(int64(r.Functions)), group(r.Invocations), span, r.Seed)
	fmt.Fprintf(&b, "SLO: latency <= %g ms (violations: slower, failed or refused calls)\n", r.SLOMs)
	if fb := fallbackText(r.DurationFallbacks); fb != "" {
		fmt.Fprintf(&b, "durations not the function's own: %s\n", fb)
	}
	if fb := fallbackText(r.MemoryFallbacks); fb != "" {
		fmt.Fprintf(&b, "memory not the app's own: %s\n", fb)
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "name\tkind\tcost USD\tvs oracle\taws USD\tazure USD\tgcp USD\tp50 ms\tp95 ms\tp99 ms\tcold starts\tSLO violations\tunserved\t")
	for _, res := range r.Results {
		vs := "-"
		if res.Name != OracleName && res.CostVsOracle > 0 {
			vs = fmt.Sprintf("%+.1f%%", (res.CostVsOracle-1)*100)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%s\t%.4f\t%.4f\t%.4f\t%.1f\t%.1f\t%.1f\t%s\t%s (%.2f%%)\t%s\t\n",
			res.Name, res.Kind, res.CostUSD, vs,
			res.ByProvider[0].CostUSD, res.ByProvider[1].CostUSD, res.ByProvider[2].CostUSD,
			res.LatencyP50Ms, res.LatencyP95Ms, res.LatencyP99Ms,
			group(res.ColdStarts), group(res.SLOViolations), 100*res.SLOViolationShare, group(res.Failed+res.Refused))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var f strings.Builder
	f.WriteString("\nCosts are list prices per call (no free grants), failed attempts included. Latency is execution x speed +\n")
	f.WriteString("overhead + cold start, within 0.8%. Unserved: every attempt failed, or the policy allowed no deployment.\n")
	f.WriteString("oracle: per call the cheapest cloud meeting the SLO, else the fastest; floor: per call the cheapest cloud.\n")
	f.WriteString("Models: ")
	for j, m := range r.Providers.Models() {
		if j > 0 {
			f.WriteString("; ")
		}
		fmt.Fprintf(&f, "%s %s %s, keep-alive %g min, cold start %g/%g ms", providers[j], m.Plan, m.Region, m.KeepAliveMinutes, m.ColdStartMs.Median, m.ColdStartMs.P95)
	}
	f.WriteString(" (median/p95).\n")
	fmt.Fprintf(&f, "Data: %s\n", r.Attribution)
	_, err := io.WriteString(w, f.String())
	return err
}

func fallbackText(m map[string]int) string {
	var parts []string
	for _, k := range []string{trace.FromApp.String(), trace.FromMedian.String()} {
		if n := m[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d from the %s", n, map[string]string{"app": "app's busiest function", "median": "trace-wide medians"}[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// group formats n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
