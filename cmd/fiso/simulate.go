package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fiso-dev/fiso/shared/policy"
	"github.com/fiso-dev/fiso/shared/route"
	"github.com/fiso-dev/fiso/shared/simulate"
	"github.com/fiso-dev/fiso/shared/trace"
)

const simulateUsage = "usage: fiso simulate --trace DIR_OR_FILE[,FILE,FILE] [--policy FILE] [--providers FILE] [--seed N] [--json] [--functions N] [--slo-ms MS] [--workers N]"

// runSimulate replays a public Azure Functions trace through the real router
// under each policy, the single-cloud baselines and the oracle, and prints
// what each would have cost and how fast it would have answered.
func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	tracePath := fs.String("trace", "", "a 2019 day's directory (or its three files, comma-separated) or a 2021 file")
	policyFile := fs.String("policy", "", "JSON file of one or more policies (default: cheapest under the SLO, fastest, weighted)")
	providersFile := fs.String("providers", "", "JSON file overriding the provider models")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same report")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	functions := fs.Int("functions", 0, "replay only the first N functions (0: all)")
	sloMs := fs.Float64("slo-ms", 0, "latency SLO in ms for violations and the oracle (default: the first cheapest policy's slo_p95_ms, else 1000)")
	workers := fs.Int("workers", 0, "functions replayed in parallel (default: GOMAXPROCS)")
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 || *tracePath == "" || *functions < 0 || *workers < 0 || *sloMs < 0 {
		return usageError{simulateUsage}
	}
	src, err := trace.Locate(*tracePath)
	if err != nil {
		return err
	}
	cfg := simulate.DefaultConfig()
	cfg.Planner = route.NewRouter(nil)
	cfg.Seed, cfg.MaxFunctions, cfg.Workers = *seed, *functions, *workers
	if *providersFile != "" {
		if cfg.Providers, err = readJSONFile(*providersFile, simulate.LoadProviders); err != nil {
			return fmt.Errorf("providers file %s: %w", *providersFile, err)
		}
	}
	explicit := *policyFile != ""
	if explicit {
		if cfg.Policies, err = readJSONFile(*policyFile, simulate.LoadPolicies); err != nil {
			return fmt.Errorf("policy file %s: %w", *policyFile, err)
		}
	}
	cfg.SLOMs = sloFor(*sloMs, cfg.Policies)
	if !explicit {
		cfg.Policies = simulate.DefaultPolicies(cfg.SLOMs)
	}
	// A build without a strategy cannot replay it: an explicit policy file
	// fails, the defaults are dropped with a note.
	var kept []policy.Policy
	for i, err := range simulate.CheckPlanner(cfg.Planner, cfg.Policies) {
		switch {
		case err == nil:
			kept = append(kept, cfg.Policies[i])
		case explicit:
			return err
		default:
			fmt.Fprintf(stderr, "fiso simulate: skipping default %v\n", err)
		}
	}
	cfg.Policies = kept
	start := time.Now()
	rep, err := simulate.Run(ctx, src, cfg)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stderr, "fiso simulate: replayed %d invocations in %s (%.3g invocations/s)\n",
		rep.Invocations, elapsed.Round(time.Millisecond), float64(rep.Invocations)/elapsed.Seconds())
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteTable(stdout)
}

// sloFor is the SLO to judge by: the flag, else the first cheapest policy's
// SLO, else the default.
func sloFor(flagMs float64, pols []policy.Policy) float64 {
	if flagMs > 0 {
		return flagMs
	}
	for _, p := range pols {
		if p.Uses(policy.Cheapest) && p.SLOP95Ms > 0 {
			return p.SLOP95Ms
		}
	}
	return simulate.DefaultSLOMs
}

func readJSONFile[T any](path string, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	v, err := read(f)
	if err != nil {
		return zero, err
	}
	return v, nil
}
