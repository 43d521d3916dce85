package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fiso-dev/fiso/shared/budget"
)

const budgetsUsage = `usage:
  fiso budgets list
  fiso budgets set SCOPE/ID --limit USD [--period month|day] [--thresholds 50,80,100]
  fiso budgets delete SCOPE/ID
SCOPE is global (ID all), team, function or key (ID: the API key's ID)`

// runBudgets manages budgets through the API.
func runBudgets(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{budgetsUsage}
	}
	fs := flag.NewFlagSet("budgets", flag.ContinueOnError)
	limit := fs.Float64("limit", 0, "hard limit in USD per period")
	period := fs.String("period", "month", "month or day (UTC)")
	thresholds := fs.String("thresholds", "", "alert thresholds in percent of the limit, e.g. 50,80,100 (default 50,80,100)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	base := fs.String("url", envOr("FISO_URL", "http://127.0.0.1:8080"), "FISO's base URL (FISO_URL)")
	key := fs.String("key", firstEnv("FISO_API_KEY", "FISO_ADMIN_KEY"), "admin API key (FISO_API_KEY, else FISO_ADMIN_KEY)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if *key == "" {
		return usageError{"no API key: pass --key or set FISO_API_KEY"}
	}
	api := newAPIClient(*base, *key)
	switch sub := args[0]; {
	case sub == "list" && len(pos) == 0:
		body, err := api.do(ctx, http.MethodGet, "/v1/budgets", nil, nil)
		if err != nil {
			return fmt.Errorf("list budgets: %w", err)
		}
		if *asJSON {
			_, err := stdout.Write(body)
			return err
		}
		var out struct {
			Items []budgetView `json:"items"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			return fmt.Errorf("read FISO's answer: %w", err)
		}
		return printBudgets(stdout, out.Items)
	case sub == "set" && len(pos) == 1:
		path, err := budgetPath(pos[0])
		if err != nil {
			return err
		}
		b := map[string]any{"period": *period, "limit_usd": *limit}
		if *thresholds != "" {
			ts, err := parseThresholds(*thresholds)
			if err != nil {
				return err
			}
			b["thresholds"] = ts
		}
		if _, err := api.do(ctx, http.MethodPut, path, b, nil); err != nil {
			return fmt.Errorf("set budget %s: %w", pos[0], err)
		}
		fmt.Fprintf(stdout, "budget %s: $%g a %s\n", pos[0], *limit, *period)
		return nil
	case sub == "delete" && len(pos) == 1:
		path, err := budgetPath(pos[0])
		if err != nil {
			return err
		}
		if _, err := api.do(ctx, http.MethodDelete, path, nil, nil); err != nil {
			return fmt.Errorf("delete budget %s: %w", pos[0], err)
		}
		fmt.Fprintf(stdout, "budget %s deleted\n", pos[0])
		return nil
	}
	return usageError{budgetsUsage}
}

// budgetView is a budget as GET /v1/budgets shows it.
type budgetView struct {
	budget.Budget
	Usage budget.Usage `json:"usage"`
}

// budgetPath is the API path of "scope/id".
func budgetPath(ref string) (string, error) {
	scope, id, ok := strings.Cut(ref, "/")
	if !ok || scope == "" || id == "" {
		return "", usageError{fmt.Sprintf("%q is not SCOPE/ID (e.g. team/payments, global/all)", ref)}
	}
	return "/v1/budgets/" + url.PathEscape(scope) + "/" + url.PathEscape(id), nil
}

func parseThresholds(v string) ([]float64, error) {
	var out []float64
	for _, part := range strings.Split(v, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil {
			return nil, usageError{fmt.Sprintf("--thresholds: %q is not a number", part)}
		}
		out = append(out, f)
	}
	return out, nil
}

func printBudgets(w io.Writer, bs []budgetView) error {
	if len(bs) == 0 {
		fmt.Fprintln(w, "No budgets. Set one with: fiso budgets set team/NAME --limit 100")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BUDGET\tPERIOD\tLIMIT (USD)\tSPENT\tRESERVED\tREMAINING\tUSED\tALERTS AT (%)")
	for _, b := range bs {
		used := 0.0
		if b.LimitUSD > 0 {
			used = 100 * b.Usage.SpentUSD / b.LimitUSD
		}
		fmt.Fprintf(tw, "%s\t%s\t%.6g\t%.6f\t%.6f\t%.6f\t%.1f%%\t%s\n", b.Ref(), b.Usage.Period, b.LimitUSD,
			b.Usage.SpentUSD, b.Usage.ReservedUSD, b.Usage.RemainingUSD, used, strings.Trim(fmt.Sprint(b.Thresholds), "[]"))
	}
	return tw.Flush()
}

// runSavings prints GET /v1/savings as a table.
func runSavings(ctx context.Context, args []string, stdout io.Writer) error {
	body, asJSON, err := getCostReport(ctx, "savings", "/v1/savings", "function", args)
	if err != nil {
		return err
	}
	if asJSON {
		_, err := stdout.Write(body)
		return err
	}
	type row struct {
		Group         string
		Invocations   int64
		CostUSD       float64 `json:"cost_usd"`
		BaselineUSD   float64 `json:"baseline_usd"`
		SavedUSD      float64 `json:"saved_usd"`
		SavedPercent  float64 `json:"saved_percent"`
		Coverage      float64
		BaselineCalls int64 `json:"baseline_calls"`
	}
	var out struct {
		From, To string
		GroupBy  string `json:"group_by"`
		Rows     []row
		Total    row
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("read FISO's answer: %w", err)
	}
	fmt.Fprintf(stdout, "What routing saved from %s to %s (exclusive), USD, against each policy's static default\n\n", out.From, out.To)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tCALLS\tCOST\tSTATIC DEFAULT\tSAVED\tSAVED %%\tCOVERAGE\t\n", strings.ToUpper(out.GroupBy))
	for _, r := range append(out.Rows, out.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%.6f\t%.6f\t%.6f\t%.1f\t%.0f%%\t\n", r.Group, r.Invocations, r.CostUSD, r.BaselineUSD, r.SavedUSD, r.SavedPercent, 100*r.Coverage)
	}
	return tw.Flush()
}
