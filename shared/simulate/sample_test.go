package simulate

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/fiso-dev/fiso/shared/route"
	"github.com/fiso-dev/fiso/shared/trace"
)

func sampleConfig() Config {
	cfg := DefaultConfig()
	cfg.Planner = route.NewRouter(nil)
	return cfg
}

func runSample(t testing.TB, path string, cfg Config) *Report {
	t.Helper()
	src, err := trace.Locate(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestAcceptance2019Sample is the replay's acceptance check on the 2019
// sample (10 functions, 13.0 M invocations, one day) with the documented
// defaults: the cheapest policy costs within 5% of the oracle and less than
// every single-cloud baseline, and meets its p95 SLO (at most 5% of the calls
// above it).
func TestAcceptance2019Sample(t *testing.T) {
	requireStrategies(t)
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			cfg := sampleConfig()
			cfg.Seed = seed
			rep := runSample(t, sample2019, cfg)
			if rep.Invocations != 13_037_064 || rep.Functions != 10 {
				t.Fatalf("replayed %d functions, %d invocations; want 10, 13037064", rep.Functions, rep.Invocations)
			}
			cheapest, oracle := result(t, rep, "cheapest"), result(t, rep, OracleName)
			if cheapest.CostUSD > 1.05*oracle.CostUSD {
				t.Errorf("cheapest costs $%.4f, more than 5%% above the oracle's $%.4f", cheapest.CostUSD, oracle.CostUSD)
			}
			for _, r := range rep.Results {
				if r.Kind == "baseline" && cheapest.CostUSD >= r.CostUSD {
					t.Errorf("cheapest costs $%.4f, not less than %s's $%.4f", cheapest.CostUSD, r.Name, r.CostUSD)
				}
				if r.Invocations != rep.Invocations {
					t.Errorf("%s replayed %d invocations, want %d", r.Name, r.Invocations, rep.Invocations)
				}
			}
			if cheapest.SLOViolationShare > 0.05 {
				t.Errorf("cheapest: %.2f%% of the calls miss the SLO, want at most 5%%", 100*cheapest.SLOViolationShare)
			}
			t.Logf("cheapest $%.4f (%+.1f%% vs oracle $%.4f), SLO violations %.2f%%",
				cheapest.CostUSD, 100*(cheapest.CostVsOracle-1), oracle.CostUSD, 100*cheapest.SLOViolationShare)
		})
	}
}

func TestSample2021(t *testing.T) {
	requireStrategies(t)
	cfg := sampleConfig()
	cfg.SortChunkRows = 50 // spill and merge
	cfg.TempDir = t.TempDir()
	rep := runSample(t, "../trace/testdata/azure2021-sample", cfg)
	if rep.Format != trace.Azure2021 || rep.Invocations != 199 || rep.Functions != 31 || rep.Minutes != 21 {
		t.Errorf("replayed %s: %d functions, %d invocations, %d minutes; want azure2021, 31, 199, 21", rep.Format, rep.Functions, rep.Invocations, rep.Minutes)
	}
	for _, r := range rep.Results {
		if r.Invocations != 199 || r.CostUSD <= 0 || r.LatencyP50Ms <= 0 {
			t.Errorf("%s: %d invocations, $%v, p50 %v ms", r.Name, r.Invocations, r.CostUSD, r.LatencyP50Ms)
		}
	}
	// Every call runs at least its own duration: the trace's longest ran
	// 362 s, beyond any SLO, so the oracle misses it too.
	oracle := result(t, rep, OracleName)
	if oracle.LatencyP99Ms < 300_000 || oracle.SLOViolations == 0 {
		t.Errorf("oracle: p99 %v ms, %d violations; want the trace's minutes-long calls to show", oracle.LatencyP99Ms, oracle.SLOViolations)
	}
	cfg.MaxFunctions = 3
	small := runSample(t, "../trace/testdata/azure2021-sample", cfg)
	if small.Functions != 3 || small.Invocations >= 199 {
		t.Errorf("--functions 3: %d functions, %d invocations", small.Functions, small.Invocations)
	}
	if left, _ := os.ReadDir(cfg.TempDir); len(left) != 0 {
		t.Errorf("the sort left %d files behind", len(left))
	}
}

func TestWriteTable(t *testing.T) {
	cfg := sampleConfig()
	cfg.Policies = nil
	cfg.MaxFunctions = 2
	rep := runSample(t, sample2019, cfg)
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"2 functions", "aws-only", "azure-only", "gcp-only", "oracle", "SLO violations", trace.Attribution2019, "Shahrad"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
}

// BenchmarkReplay replays the 2019 sample (10 functions, one day,
// 13.0 M invocations) with the default policies, baselines and oracle.
func BenchmarkReplay(b *testing.B) {
	cfg := sampleConfig()
	if errs := CheckPlanner(cfg.Planner, cfg.Policies); errs[0] != nil {
		cfg.Policies = nil
	}
	src, err := trace.Locate(sample2019)
	if err != nil {
		b.Fatal(err)
	}
	active := activeMinutes(b, src)
	var invocations int64
	var fnMinutes int
	for b.Loop() {
		rep, err := Run(context.Background(), src, cfg)
		if err != nil {
			b.Fatal(err)
		}
		invocations += rep.Invocations
		fnMinutes += active
	}
	secs := b.Elapsed().Seconds()
	perSec := float64(invocations) / secs
	fmPerSec := float64(fnMinutes) / secs
	b.ReportMetric(perSec, "invocations/s")
	b.ReportMetric(fmPerSec, "function-minutes/s")
	// A day of 10,000 functions has at most 14.4 M active function-minutes
	// (every function called every minute); the replay's cost is per active
	// function-minute, not per invocation.
	b.Logf("%.3g invocations/s, %.3g active function-minutes/s (%d arms); 10,000 functions x 1 day: at most %.0f s (every minute active)",
		perSec, fmPerSec, len(cfg.Policies)+4, 14.4e6/fmPerSec)
	fmt.Printf("BenchmarkReplay: %.3g invocations/s, %.3g active function-minutes/s; 10,000 functions x 1 day <= %.0f s\n", perSec, fmPerSec, 14.4e6/fmPerSec)
}

// activeMinutes counts the minutes with calls in a 2019 trace.
func activeMinutes(b *testing.B, src trace.Source) int {
	day, err := trace.Open2019(src.Day)
	if err != nil {
		b.Fatal(err)
	}
	defer day.Close()
	n := 0
	for {
		fn, err := day.Next()
		if err != nil {
			return n
		}
		for _, c := range fn.PerMinute {
			if c > 0 {
				n++
			}
		}
	}
}
