package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/alert"
	"github.com/fiso-dev/fiso/shared/anomaly"
	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/httpapi"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/orchestrator"
	"github.com/fiso-dev/fiso/shared/pricebook"
	"github.com/fiso-dev/fiso/shared/store/embedded"
)

// newBudgetEnv is an env whose orchestrator holds calls to budgets (a
// Guard on the store, alerts recorded in it) and prices them.
func newBudgetEnv(t *testing.T) *env {
	return newEnvWith(t, func(st *embedded.Store, o *orchestrator.Options) {
		o.Pricer = pricebook.New(st, time.Minute, nil)
		o.Budgets = budget.NewGuard(st, &alert.Dispatcher{Store: st, Logger: o.Logger}, budget.GuardOptions{CacheTTL: time.Nanosecond})
	})
}

func TestBudgetDefinitions(t *testing.T) {
	e := newEnv(t)
	w := e.mustDo("PUT", "/v1/budgets/team/payments", adminKey, `{"period":"month","limit_usd":250}`, http.StatusCreated)
	if loc := w.Header().Get("Location"); loc != "/v1/budgets/team/payments" {
		t.Errorf("Location = %q", loc)
	}
	var got struct {
		budget.Budget
		Usage budget.Usage `json:"usage"`
	}
	if err := json.Unmarshal(e.mustDo("GET", "/v1/budgets/team/payments", adminKey, "", http.StatusOK).Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.LimitUSD != 250 || got.Period != budget.Month || fmt.Sprint(got.Thresholds) != "[50 80 100]" || got.Version != 1 {
		t.Errorf("budget = %+v, want limit 250 a month with the default thresholds 50/80/100, version 1", got.Budget)
	}
	if got.Usage.RemainingUSD != 250 || got.Usage.SpentUSD != 0 || got.Usage.Period != time.Now().UTC().Format("2006-01") {
		t.Errorf("usage = %+v, want nothing spent this month", got.Usage)
	}

	// A stale version is a conflict; the current one replaces.
	e.mustDo("PUT", "/v1/budgets/team/payments", adminKey, `{"period":"day","limit_usd":10,"version":7}`, http.StatusConflict)
	e.mustDo("PUT", "/v1/budgets/team/payments", adminKey, `{"period":"day","limit_usd":10,"thresholds":[90,25],"version":1}`, http.StatusOK)
	e.mustDo("PUT", "/v1/budgets/global/all", adminKey, `{"period":"month","limit_usd":1000}`, http.StatusCreated)

	var list struct {
		Items []struct {
			budget.Budget
			Usage budget.Usage `json:"usage"`
		} `json:"items"`
	}
	if err := json.Unmarshal(e.mustDo("GET", "/v1/budgets", adminKey, "", http.StatusOK).Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 || list.Items[0].Scope != budget.Global || list.Items[1].ID != "payments" ||
		fmt.Sprint(list.Items[1].Thresholds) != "[25 90]" || list.Items[1].Usage.Period != time.Now().UTC().Format(time.DateOnly) {
		t.Errorf("list = %+v, want global/all then team/payments (daily, thresholds sorted)", list.Items)
	}

	e.mustDo("DELETE", "/v1/budgets/team/payments", adminKey, "", http.StatusNoContent)
	e.mustDo("GET", "/v1/budgets/team/payments", adminKey, "", http.StatusNotFound)
	e.mustDo("DELETE", "/v1/budgets/team/payments", adminKey, "", http.StatusNotFound)
	e.mustDo("GET", "/v1/budgets", invokerKey, "", http.StatusForbidden)
}

func TestBudgetBadInput(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, path, body string
		fields           []string
	}{
		{"unknown scope", "/v1/budgets/org/acme", `{"period":"month","limit_usd":1}`, []string{"scope"}},
		{"global with another id", "/v1/budgets/global/acme", `{"period":"month","limit_usd":1}`, []string{"id"}},
		{"key scope with a name", "/v1/budgets/key/checkout", `{"period":"month","limit_usd":1}`, []string{"id"}},
		{"path and body disagree", "/v1/budgets/team/payments", `{"scope":"team","id":"search","period":"month","limit_usd":1}`, []string{"id"}},
		{"weekly period", "/v1/budgets/team/payments", `{"period":"week","limit_usd":1}`, []string{"period"}},
		{"no limit", "/v1/budgets/team/payments", `{"period":"month"}`, []string{"limit_usd"}},
		{"negative limit", "/v1/budgets/team/payments", `{"period":"month","limit_usd":-5}`, []string{"limit_usd"}},
		{"threshold above 100", "/v1/budgets/team/payments", `{"period":"month","limit_usd":5,"thresholds":[50,120]}`, []string{"thresholds[1]"}},
		{"unknown field", "/v1/budgets/team/payments", `{"period":"month","limit_usd":5,"hard":true}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(request{method: "PUT", path: tc.path, key: adminKey, body: tc.body})
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d %s, want 400", w.Code, w.Body.String())
			}
			p := decodeProblem(t, w)
			for _, f := range tc.fields {
				found := false
				for _, v := range p.Errors {
					found = found || v.Field == f
				}
				if !found {
					t.Errorf("problem %+v does not name field %q", p.Errors, f)
				}
			}
		})
	}
	for _, q := range []string{"?limit=0", "?limit=1001", "?since=yesterday", "?budget=x"} {
		if w := e.do(request{method: "GET", path: "/v1/alerts" + q, key: adminKey}); w.Code != http.StatusBadRequest {
			t.Errorf("GET /v1/alerts%s = %d, want 400", q, w.Code)
		}
	}
	for _, q := range []string{"?window_days=0", "?window_days=91", "?window_days=two", "?days=3"} {
		if w := e.do(request{method: "GET", path: "/v1/recommendations" + q, key: adminKey}); w.Code != http.StatusBadRequest {
			t.Errorf("GET /v1/recommendations%s = %d, want 400", q, w.Code)
		}
	}
}

type budgetRefusal struct {
	Status int
	Type   string
	Budget struct {
		Scope       budget.Scope
		ID          string
		Period      string
		LimitUSD    float64 `json:"limit_usd"`
		SpentUSD    float64 `json:"spent_usd"`
		ReservedUSD float64 `json:"reserved_usd"`
		AmountUSD   float64 `json:"amount_usd"`
	}
}

// TestOverlappingBudgets: a call is held to every budget that applies to
// it (its key's, its function's, its team's and the global one); the
// refusal names the narrowest one that cannot take it, and a refused call
// charges none of them.
func TestOverlappingBudgets(t *testing.T) {
	const tiny, ample = 1e-9, 100.0
	for _, tc := range []struct {
		name  string
		tiny  []string // scope/id of the budgets too small for one call
		named string
	}{
		{"key", []string{"key"}, "key"},
		{"key and function: the key is narrower", []string{"function/sample", "key"}, "key"},
		{"function", []string{"function/sample"}, "function/sample"},
		{"team and global: the team is narrower", []string{"global/all", "team/payments"}, "team/payments"},
		{"global", []string{"global/all"}, "global/all"},
		{"none", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newBudgetEnv(t)
			keyID := keyIDNamed(t, e, "checkout")
			limits := map[string]float64{"key/" + keyID: ample, "function/sample": ample, "team/payments": ample, "global/all": ample}
			for _, ref := range tc.tiny {
				if ref == "key" {
					ref = "key/" + keyID
				}
				limits[ref] = tiny
			}
			for ref, limit := range limits {
				e.mustDo("PUT", "/v1/budgets/"+ref, adminKey, fmt.Sprintf(`{"period":"day","limit_usd":%g}`, limit), http.StatusCreated)
			}
			w := e.do(request{method: "POST", path: "/v1/functions/sample/invoke", key: invokerKey, body: `{}`})
			if tc.named == "" {
				if w.Code != http.StatusOK {
					t.Fatalf("status %d %s, want 200 under ample budgets", w.Code, w.Body.String())
				}
				checkSpent(t, e, limits, true)
				return
			}
			if w.Code != http.StatusPaymentRequired {
				t.Fatalf("status %d %s, want 402", w.Code, w.Body.String())
			}
			decodeProblem(t, w)
			var p budgetRefusal
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			want := strings.Replace(tc.named, "key", "key/"+keyID, 1)
			if got := string(p.Budget.Scope) + "/" + p.Budget.ID; got != want {
				t.Errorf("refusal names %s, want %s", got, want)
			}
			if p.Type != httpapi.ProblemTypePrefix+"budget-exceeded" || p.Budget.LimitUSD != tiny || p.Budget.AmountUSD <= tiny ||
				p.Budget.Period != time.Now().UTC().Format(time.DateOnly) || w.Header().Get("Retry-After") == "" {
				t.Errorf("refusal = %+v, Retry-After %q; want the budget's limit, period, the call's amount and a Retry-After", p, w.Header().Get("Retry-After"))
			}
			checkSpent(t, e, limits, false)

			// The refusal alerted once, as the named budget's 100%, and a
			// second refusal does not alert again.
			e.do(request{method: "POST", path: "/v1/functions/sample/invoke", key: invokerKey, body: `{}`})
			var alerts struct {
				Items []budget.Alert `json:"items"`
			}
			if err := json.Unmarshal(e.mustDo("GET", "/v1/alerts", adminKey, "", http.StatusOK).Body.Bytes(), &alerts); err != nil {
				t.Fatal(err)
			}
			if len(alerts.Items) != 1 || !alerts.Items[0].Refusing || alerts.Items[0].Threshold != 100 ||
				string(alerts.Items[0].Budget.Scope)+"/"+alerts.Items[0].Budget.ID != want {
				t.Errorf("alerts = %+v, want one refusal alert for %s", alerts.Items, want)
			}
		})
	}
}

// keyIDNamed is the ID of the API key called name.
func keyIDNamed(t *testing.T, e *env, name string) string {
	t.Helper()
	var keys struct {
		Items []struct{ ID, Name string } `json:"items"`
	}
	if err := json.Unmarshal(e.mustDo("GET", "/v1/keys", adminKey, "", http.StatusOK).Body.Bytes(), &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.Items {
		if k.Name == name {
			return k.ID
		}
	}
	t.Fatalf("no key named %q in %+v", name, keys.Items)
	return ""
}

// checkSpent checks that every budget was charged (the call ran) or that
// none was (it was refused), and that nothing stays reserved.
func checkSpent(t *testing.T, e *env, limits map[string]float64, charged bool) {
	t.Helper()
	for ref := range limits {
		var v struct {
			Usage budget.Usage `json:"usage"`
		}
		if err := json.Unmarshal(e.mustDo("GET", "/v1/budgets/"+ref, adminKey, "", http.StatusOK).Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if (v.Usage.SpentUSD > 0) != charged || v.Usage.ReservedUSD != 0 {
			t.Errorf("budget %s: spent $%g, reserved $%g; want charged=%v and nothing reserved", ref, v.Usage.SpentUSD, v.Usage.ReservedUSD, charged)
		}
	}
}

// TestSavings writes priced records with baselines to the store and reads
// what routing saved per function from the cost counters.
func TestSavings(t *testing.T) {
	var st *embedded.Store
	e := newEnvWith(t, func(s *embedded.Store, _ *orchestrator.Options) { st = s })
	now := time.Now().UTC()
	usd := func(v float64) *float64 { return &v }
	recs := []invocation.Record{
		// checkout: three calls that cost $1 each and would have cost
		// $1.50 on the default: $1.50 saved.
		{FunctionName: "checkout", CostUSD: usd(1), BaselineCostUSD: usd(1.5)},
		{FunctionName: "checkout", CostUSD: usd(1), BaselineCostUSD: usd(1.5)},
		{FunctionName: "checkout", CostUSD: usd(1), BaselineCostUSD: usd(1.5)},
		// search: one call with a baseline of $3 for $2, one unpriced (no
		// baseline, in neither figure): $1 saved.
		{FunctionName: "search", CostUSD: usd(2), BaselineCostUSD: usd(3)},
		{FunctionName: "search", CostUSD: usd(2), Unpriced: true},
	}
	for i, r := range recs {
		r.ID = fmt.Sprintf("01SAVINGS%017d", i)
		r.Timestamp, r.Provider, r.Region, r.StatusCode = now, catalog.AWS, "us-east-1", 200
		r.ExpiresAt = now.Add(time.Hour)
		if err := st.PutInvocation(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	var got struct {
		GroupBy string `json:"group_by"`
		Rows    []struct {
			Group         string
			Invocations   int64
			CostUSD       float64 `json:"cost_usd"`
			BaselineUSD   float64 `json:"baseline_usd"`
			BaselineCalls int64   `json:"baseline_calls"`
			SavedUSD      float64 `json:"saved_usd"`
			SavedPercent  float64 `json:"saved_percent"`
			Coverage      float64
		}
		Total struct {
			SavedUSD float64 `json:"saved_usd"`
		}
	}
	if err := json.Unmarshal(e.mustDo("GET", "/v1/savings", adminKey, "", http.StatusOK).Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	want := map[string][4]float64{ // saved, percent, coverage, baseline calls
		"checkout": {1.5, 100 * 1.5 / 4.5, 1, 3},
		"search":   {1, 100.0 / 3, 0.5, 1},
	}
	if got.GroupBy != "function" || len(got.Rows) != len(want) {
		t.Fatalf("savings = %+v, want a row per function", got)
	}
	for _, r := range got.Rows {
		w := want[r.Group]
		if !near(r.SavedUSD, w[0]) || !near(r.SavedPercent, w[1]) || !near(r.Coverage, w[2]) || r.BaselineCalls != int64(w[3]) {
			t.Errorf("%s: saved $%g (%.2f%%), coverage %g, baseline calls %d; want $%g (%.2f%%), %g, %g", r.Group, r.SavedUSD, r.SavedPercent, r.Coverage, r.BaselineCalls, w[0], w[1], w[2], w[3])
		}
	}
	if !near(got.Total.SavedUSD, 2.5) {
		t.Errorf("total saved $%g, want $2.5", got.Total.SavedUSD)
	}
}

// TestAlertAndAnomalyFeeds lists what the stores recorded, newest first,
// bounded by since and limit.
func TestAlertAndAnomalyFeeds(t *testing.T) {
	var st *embedded.Store
	e := newEnvWith(t, func(s *embedded.Store, _ *orchestrator.Options) { st = s })
	ctx := context.Background()
	hour := time.Now().UTC().Truncate(time.Hour)
	for i, fn := range []string{"checkout", "search", "orders"} {
		a := anomaly.Anomaly{Dimension: "function", Value: fn, Hour: hour.Add(-time.Duration(i) * time.Hour), CostUSD: 3, ExpectedUSD: 1, Score: 9,
			Reason: "spent $3", DetectedAt: hour}
		if _, err := st.PutAnomaly(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	crossing := budget.Crossing{Budget: budget.Ref{Scope: budget.Team, ID: "payments"}, Period: hour.Format("2006-01"), Threshold: 80, SpentUSD: 8, LimitUSD: 10}
	if _, err := st.PutAlert(ctx, budget.AlertOf(crossing, hour)); err != nil {
		t.Fatal(err)
	}
	var anomalies struct {
		Items []anomaly.Anomaly `json:"items"`
	}
	since := url.QueryEscape(hour.Add(-90 * time.Minute).Format(time.RFC3339))
	if err := json.Unmarshal(e.mustDo("GET", "/v1/anomalies?since="+since, adminKey, "", http.StatusOK).Body.Bytes(), &anomalies); err != nil {
		t.Fatal(err)
	}
	if len(anomalies.Items) != 2 || anomalies.Items[0].Value != "checkout" || anomalies.Items[1].Value != "search" {
		t.Errorf("anomalies since 90 minutes ago = %+v, want checkout then search", anomalies.Items)
	}
	if err := json.Unmarshal(e.mustDo("GET", "/v1/anomalies?limit=1", adminKey, "", http.StatusOK).Body.Bytes(), &anomalies); err != nil {
		t.Fatal(err)
	}
	if len(anomalies.Items) != 1 {
		t.Errorf("limit=1 gave %d anomalies", len(anomalies.Items))
	}
	var alerts struct {
		Items []budget.Alert `json:"items"`
	}
	if err := json.Unmarshal(e.mustDo("GET", "/v1/alerts", adminKey, "", http.StatusOK).Body.Bytes(), &alerts); err != nil {
		t.Fatal(err)
	}
	if len(alerts.Items) != 1 || alerts.Items[0].ID != "team/payments/"+hour.Format("2006-01")+"/80" {
		t.Errorf("alerts = %+v, want the one recorded", alerts.Items)
	}
	e.mustDo("GET", "/v1/anomalies", invokerKey, "", http.StatusForbidden)
}
