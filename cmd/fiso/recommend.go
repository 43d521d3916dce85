package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/recommend"
)

const recommendUsage = "usage: fiso recommend [--json] [--skipped]"

// runRecommend prints GET /v1/recommendations as a table, largest savings
// first.
func runRecommend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("recommend", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	showSkipped := fs.Bool("skipped", false, "also list what was not recommended, and why")
	base := fs.String("url", envOr("FISO_URL", "http://127.0.0.1:8080"), "FISO's base URL (FISO_URL)")
	key := fs.String("key", firstEnv("FISO_API_KEY", "FISO_ADMIN_KEY"), "admin API key (FISO_API_KEY, else FISO_ADMIN_KEY)")
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{recommendUsage}
	}
	if *key == "" {
		return usageError{"no API key: pass --key or set FISO_API_KEY"}
	}
	body, err := apiGet(ctx, *base, "/v1/recommendations", *key)
	if err != nil {
		return fmt.Errorf("get recommendations: %w%s", err, recommendHint(err))
	}
	if *asJSON {
		_, err := stdout.Write(body)
		return err
	}
	var rep recommend.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		return fmt.Errorf("read FISO's answer: %w", err)
	}
	printRecommendations(stdout, rep, *showSkipped)
	if !*showSkipped && len(rep.Skipped) > 0 {
		fmt.Fprintf(stderr, "%d left out for thin evidence or rejected; --skipped lists them\n", len(rep.Skipped))
	}
	return nil
}

// recommendHint says what to do about an answer the operator can fix.
func recommendHint(err error) string {
	var status int
	if _, scanErr := fmt.Sscanf(err.Error(), "HTTP %d", &status); scanErr != nil {
		return ""
	}
	switch status {
	case 401:
		return " (check --key or FISO_API_KEY)"
	case 403:
		return " (recommendations need an admin API key)"
	case 404:
		return " (this FISO does not serve /v1/recommendations yet; check --url or FISO_URL)"
	}
	return ""
}

func printRecommendations(w io.Writer, rep recommend.Report, showSkipped bool) {
	fmt.Fprintf(w, "Recommendations from the last %g days of calls: savings in USD per 30-day month, at list price\n\n", rep.WindowDays)
	if len(rep.Recommendations) == 0 {
		fmt.Fprintln(w, "Nothing to recommend.")
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SAVINGS/MONTH\tCONFIDENCE\tKIND\tFOR\tACTION")
		for _, r := range rep.Recommendations {
			fmt.Fprintf(tw, "%.6f\t%s\t%s\t%s\t%s\n", r.MonthlySavingsUSD, r.Confidence, r.Kind, recommendSubject(r.Function, r.Deployment, r.Budget), r.Action)
		}
		_ = tw.Flush()
		fmt.Fprintln(w, "\nSavings of recommendations on the same function overlap; --json shows each one's evidence.")
	}
	if !showSkipped || len(rep.Skipped) == 0 {
		return
	}
	fmt.Fprintln(w, "\nLeft out")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tFOR\tREASON")
	for _, s := range rep.Skipped {
		kind := s.Kind
		if kind == "" {
			kind = "all"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", kind, recommendSubject(s.Function, s.Deployment, s.Budget), s.Reason)
	}
	_ = tw.Flush()
}

// recommendSubject names what a line is about: a budget, a function or one
// of its deployments.
func recommendSubject(function, deployment string, b *budget.Ref) string {
	switch {
	case b != nil:
		return "budget " + b.String()
	case deployment != "":
		return function + "/" + deployment
	}
	return function
}
