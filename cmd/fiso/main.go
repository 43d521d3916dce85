// Command fiso is FISO's operator CLI: it runs the control plane locally on
// an embedded store (fiso dev), bootstraps API keys against either store,
// invokes functions through the API, and runs the local "clouds" that
// fiso dev starts for its sample function.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `fiso — the FinOps-Intelligent Serverless Orchestrator

Usage:
  fiso dev                                  run FISO locally: embedded store, three local clouds, sample function
  fiso keys create --name N --role R [--team T]
                                            create an API key (printed once) in the configured store
  fiso keys list                            list API keys (never their secrets)
  fiso keys revoke ID                       delete an API key
  fiso deployments import --function F [--id ID] [--credential-ref REF [--store-secret]] [FILE|-]
                                            register a deployment from "terraform output -json" of
                                            terraform/aws, terraform/azure or terraform/gcp
  fiso invoke [FUNCTION] [-d JSON|@FILE|-]  invoke a function through the API (no FUNCTION: /api/v1/orchestrate)
  fiso costs [--from DAY] [--to DAY] [--group-by provider|function|team|day]
                                            cost totals from the API, as a table
  fiso cost --provider P --region R --duration-ms D [--plan] [--arch] [--memory-mb] [--observed-memory-mb]
                                            the billed cost of one invocation under the card in force
  fiso pricing import --provider P --file F [--region R]
                                            parse a saved price-list response and print its rate cards
  fiso pricing pull [--accept]              pull rate cards from the providers into the configured store
  fiso retrain [--json]                     train every function's models from its invocation log, once
  fiso recommend [--json] [--skipped]       FinOps recommendations with their monthly savings, from the API
  fiso budgets list | set SCOPE/ID --limit USD [--period month|day] [--thresholds 50,80,100] | delete SCOPE/ID
                                            hard budgets per team, function, API key or globally, with this period's spend
  fiso savings [--from DAY] [--to DAY] [--group-by function|team|provider|...]
                                            what routing saved against each policy's static default
  fiso simulate --trace DIR_OR_FILE [--policy FILE] [--providers FILE] [--json]
                                            replay a workload trace through the router: cost, latency and
                                            cold starts per policy, against single-cloud baselines and the oracle
  fiso cloud stop|start PROVIDER            stop or restart one of fiso dev's local clouds (aws, azure, gcp)
  fiso cloud serve PROVIDER --addr HOST:PORT
                                            serve one local cloud (fiso dev runs these)
  fiso version

Configuration comes from FISO_* environment variables; see the README.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var ue usageError
	switch {
	case err == nil:
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "fiso: %v\n\n%s", err, usage)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "fiso: %v\n", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest, stdout, stderr)
	case "keys":
		return runKeys(ctx, rest, stdout)
	case "invoke":
		return runInvoke(ctx, rest, os.Stdin, stdout, stderr)
	case "deployments":
		return runDeployments(ctx, rest, os.Stdin, stdout, stderr)
	case "costs":
		return runCosts(ctx, rest, stdout)
	case "cost":
		return runCost(ctx, rest, stdout, stderr)
	case "pricing":
		return runPricing(ctx, rest, stdout, stderr)
	case "retrain":
		return runRetrain(ctx, rest, stdout, stderr)
	case "recommend":
		return runRecommend(ctx, rest, stdout, stderr)
	case "budgets":
		return runBudgets(ctx, rest, stdout)
	case "savings":
		return runSavings(ctx, rest, stdout)
	case "simulate":
		return runSimulate(ctx, rest, stdout, stderr)
	case "cloud":
		return runCloud(ctx, rest, stdout)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// newLogger logs JSON (FISO_LOG_FORMAT=json) or text to w at FISO_LOG_LEVEL.
func newLogger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(envOr("FISO_LOG_LEVEL", "info"))); err != nil {
		level = slog.LevelInfo
	}
	o := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(os.Getenv("FISO_LOG_FORMAT"), "json") {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// parseFlags parses flags that may come after positional arguments
// ("fiso keys revoke ID --flag"), returning the positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
