package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/invocation"
)

// TestBudgetsCommand drives fiso budgets against the real API over the
// embedded store: set, list with this period's usage, refuse bad input
// with the API's reasons, delete.
func TestBudgetsCommand(t *testing.T) {
	f := startFISOAPI(t)
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := runBudgets(context.Background(), append(args, "--url", f.url, "--key", importKey), &out)
		return out.String(), err
	}
	if _, err := run("set", "team/payments", "--limit", "250", "--thresholds", "25, 75"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("set", "global/all", "--limit", "1000", "--period", "day"); err != nil {
		t.Fatal(err)
	}
	b, err := f.cp.Store.GetBudget(context.Background(), budget.Ref{Scope: budget.Team, ID: "payments"})
	if err != nil || b.LimitUSD != 250 || b.Period != budget.Month || len(b.Thresholds) != 2 || b.Thresholds[1] != 75 {
		t.Fatalf("stored budget = %+v, %v; want $250 a month alerting at 25 and 75%%", b, err)
	}
	out, err := run("list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "global/all") || !strings.Contains(lines[2], "team/payments") ||
		!strings.Contains(lines[2], "250.00") || !strings.Contains(lines[2], "25 75") {
		t.Errorf("list =\n%s\nwant a header, global/all, then team/payments with its limit and thresholds", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"set", "team/payments", "--limit", "-1"}, "limit_usd"},
		{[]string{"set", "org/acme", "--limit", "5"}, "scope"},
		{[]string{"set", "payments", "--limit", "5"}, "SCOPE/ID"},
		{[]string{"set", "team/payments", "--limit", "5", "--thresholds", "half"}, "not a number"},
		{[]string{"delete", "team/nobody"}, "404"},
		{[]string{"frobnicate"}, "usage"},
	} {
		if _, err := run(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("fiso budgets %s: error %v, want one mentioning %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	if _, err := run("delete", "team/payments"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cp.Store.GetBudget(context.Background(), budget.Ref{Scope: budget.Team, ID: "payments"}); err == nil {
		t.Error("the budget is still there after delete")
	}
}

// TestSavingsCommand prints the savings table from the real API.
func TestSavingsCommand(t *testing.T) {
	f := startFISOAPI(t)
	now := time.Now().UTC()
	for i, team := range []string{"payments", "payments", "search"} {
		cost, baseline := 1.0, 1.5
		r := invocation.Record{ID: fmt.Sprintf("01SAVINGSCLI%014d", i), Timestamp: now, FunctionName: "sample", Team: team,
			Provider: catalog.GCP, Region: "us-central1", StatusCode: 200, CostUSD: &cost, BaselineCostUSD: &baseline, ExpiresAt: now.Add(time.Hour)}
		if err := f.cp.Store.PutInvocation(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := runSavings(context.Background(), []string{"--url", f.url, "--key", importKey, "--group-by", "team"}, &out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"payments  2  2.000000  3.000000  1.000000  33.3  100%",
		"search  1  1.000000  1.500000  0.500000  33.3  100%",
		"total  3  3.000000  4.500000  1.500000  33.3  100%",
	}
	got := strings.Join(strings.Fields(out.String()), " ")
	for _, w := range want {
		if !strings.Contains(got, strings.Join(strings.Fields(w), " ")) {
			t.Errorf("savings =\n%s\nwant a row %q", out.String(), w)
		}
	}
	if err := runSavings(context.Background(), []string{"--url", f.url, "--key", importKey, "--group-by", "planet"}, &out); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("an unknown grouping gave %v, want the API's 400", err)
	}
}
