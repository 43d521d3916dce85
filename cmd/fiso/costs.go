package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/fiso-dev/fiso/shared/store"
)

// runCosts prints GET /v1/costs as a table.
func runCosts(ctx context.Context, args []string, stdout io.Writer) error {
	body, asJSON, err := getCostReport(ctx, "costs", "/v1/costs", "provider", args)
	if err != nil {
		return err
	}
	if asJSON {
		_, err := stdout.Write(body)
		return err
	}
	var out struct {
		From, To string
		GroupBy  string `json:"group_by"`
		Basis    string
		Rows     []store.CostRow
		Total    store.CostRow
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("read FISO's answer: %w", err)
	}
	fmt.Fprintf(stdout, "Costs from %s to %s (exclusive), USD, %s\n\n", out.From, out.To, out.Basis)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tCOST (USD)\tINVOCATIONS\tERRORS\tUNPRICED\t\n", strings.ToUpper(out.GroupBy))
	for _, r := range append(out.Rows, out.Total) {
		fmt.Fprintf(tw, "%s\t%.6f\t%d\t%d\t%d\t\n", r.Group, r.CostUSD, r.Invocations, r.Errors, r.Unpriced)
	}
	return tw.Flush()
}

// getCostReport reads the flags shared by fiso costs and fiso savings
// (--from, --to, --group-by, --json, --url, --key) and gets the report
// from path.
func getCostReport(ctx context.Context, cmd, path, defaultGroup string, args []string) (body []byte, asJSON bool, err error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	from := fs.String("from", "", "first day, e.g. 2026-11-01 (default: the first of this month)")
	to := fs.String("to", "", "day after the last (default: tomorrow)")
	groupBy := fs.String("group-by", defaultGroup, "provider, function, team, day, key, region or tag")
	jsonOut := fs.Bool("json", false, "print the API's JSON")
	base := fs.String("url", envOr("FISO_URL", "http://127.0.0.1:8080"), "FISO's base URL (FISO_URL)")
	key := fs.String("key", firstEnv("FISO_API_KEY", "FISO_ADMIN_KEY"), "admin API key (FISO_API_KEY, else FISO_ADMIN_KEY)")
	if pos, err := parseFlags(fs, args); err != nil {
		return nil, false, err
	} else if len(pos) > 0 {
		return nil, false, usageError{"usage: fiso " + cmd + " [--from DAY] [--to DAY] [--group-by provider|function|team|day|key|region|tag] [--json]"}
	}
	if *key == "" {
		return nil, false, usageError{"no API key: pass --key or set FISO_API_KEY"}
	}
	q := url.Values{"group_by": {*groupBy}}
	if *from != "" {
		q.Set("from", *from)
	}
	if *to != "" {
		q.Set("to", *to)
	}
	body, err = apiGet(ctx, *base, path+"?"+q.Encode(), *key)
	if err != nil {
		return nil, false, fmt.Errorf("get %s: %w", cmd, err)
	}
	return body, *jsonOut, nil
}
