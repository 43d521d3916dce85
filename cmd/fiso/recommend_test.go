package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/recommend"
)

// recommendServer answers GET /v1/recommendations for the key "secret" the
// way FISO's API does, and with a problem for any other key.
func recommendServer(t *testing.T, rep recommend.Report) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/recommendations" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer secret" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]any{
				"type": "urn:fiso:problem:unauthorized", "title": "Missing or invalid API key", "status": 401,
				"detail": "the API key is not valid (revoked, mistyped, or from another FISO installation)",
			})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rep)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sampleRecommendations() recommend.Report {
	ref := budget.Ref{Scope: budget.Team, ID: "payments"}
	return recommend.Report{
		GeneratedAt: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC),
		WindowDays:  14,
		Recommendations: []recommend.Recommendation{
			{Kind: recommend.KindBudgetForecast, Budget: &ref, Title: "Budget team/payments runs out", Action: "Raise the limit of budget team/payments to at least $123.08",
				MonthlySavingsUSD: 23.076923, Confidence: recommend.High},
			{Kind: recommend.KindMoveDefault, Function: "orders", Deployment: "gcp-us-central1", Title: "Route orders to gcp-us-central1",
				Action: `In policy "orders-static" set default_provider: gcp`, MonthlySavingsUSD: 0.022055616, Confidence: recommend.Medium},
			{Kind: recommend.KindRemoveIdle, Function: "ghost", Title: "Remove ghost", Action: `Delete function "ghost" and its deployments`, Confidence: recommend.High},
		},
		Skipped: []recommend.Skip{
			{Kind: recommend.KindMoveDefault, Function: "orders", Deployment: "azure-eastus", Reason: "50 calls in the window, fewer than 100"},
			{Function: "young", Reason: "observed for 12h0m0s only"},
		},
	}
}

func TestRecommendTable(t *testing.T) {
	srv := recommendServer(t, sampleRecommendations())
	for _, tc := range []struct {
		name        string
		args        []string
		want        []string // in this order
		notWant     []string
		wantStderr  string
		emptyStderr bool
	}{
		{
			name: "table",
			args: nil,
			want: []string{
				"last 14 days", "SAVINGS/MONTH", "CONFIDENCE", "KIND", "FOR", "ACTION",
				"23.076923", "high", "budget-forecast", "budget team/payments", "Raise the limit",
				"0.022056", "medium", "move-default", "orders/gcp-us-central1", `In policy "orders-static" set default_provider: gcp`,
				"0.000000", "high", "remove-idle", "ghost", `Delete function "ghost"`,
			},
			notWant:    []string{"Left out", "azure-eastus"},
			wantStderr: "2 left out",
		},
		{
			name: "with what was left out",
			args: []string{"--skipped"},
			want: []string{
				"remove-idle", "Left out", "KIND", "FOR", "REASON",
				"move-default", "orders/azure-eastus", "50 calls in the window, fewer than 100",
				"all", "young", "observed for 12h0m0s only",
			},
			emptyStderr: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"--url", srv.URL, "--key", "secret"}, tc.args...)
			if err := runRecommend(context.Background(), args, &out, &errOut); err != nil {
				t.Fatalf("fiso recommend: %v", err)
			}
			text := out.String()
			rest := text
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q after what came before:\n%s", w, text)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tc.notWant {
				if strings.Contains(text, w) {
					t.Errorf("output has %q:\n%s", w, text)
				}
			}
			if !strings.Contains(errOut.String(), tc.wantStderr) || tc.emptyStderr && errOut.Len() > 0 {
				t.Errorf("stderr: got %q, want %q", errOut.String(), tc.wantStderr)
			}
		})
	}
}

func TestRecommendJSON(t *testing.T) {
	srv := recommendServer(t, sampleRecommendations())
	var out, errOut bytes.Buffer
	if err := runRecommend(context.Background(), []string{"--json", "--url", srv.URL, "--key", "secret"}, &out, &errOut); err != nil {
		t.Fatalf("fiso recommend --json: %v", err)
	}
	var got recommend.Report
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not the API's JSON: %v\n%s", err, out.String())
	}
	if len(got.Recommendations) != 3 || got.Recommendations[1].Kind != recommend.KindMoveDefault || got.Recommendations[1].MonthlySavingsUSD != 0.022055616 {
		t.Errorf("got %+v", got.Recommendations)
	}
	if !strings.Contains(out.String(), `"monthly_savings_usd"`) {
		t.Errorf("not the wire shape: %s", out.String())
	}
}

func TestRecommendEmpty(t *testing.T) {
	srv := recommendServer(t, recommend.Report{WindowDays: 14, Recommendations: []recommend.Recommendation{}, Skipped: []recommend.Skip{}})
	var out, errOut bytes.Buffer
	if err := runRecommend(context.Background(), []string{"--url", srv.URL, "--key", "secret"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Nothing to recommend.") || errOut.Len() > 0 {
		t.Errorf("got %q, stderr %q", out.String(), errOut.String())
	}
}

func TestRecommendErrors(t *testing.T) {
	srv := recommendServer(t, sampleRecommendations())
	t.Setenv("FISO_API_KEY", "")
	t.Setenv("FISO_ADMIN_KEY", "")
	for _, tc := range []struct {
		name      string
		args      []string
		wantUsage bool
		want      []string
	}{
		{name: "bad key", args: []string{"--url", srv.URL, "--key", "wrong"},
			want: []string{"get recommendations", "HTTP 401", "Missing or invalid API key", "the API key is not valid", "check --key or FISO_API_KEY"}},
		{name: "no route", args: []string{"--url", srv.URL + "/elsewhere", "--key", "secret"},
			want: []string{"HTTP 404", "does not serve /v1/recommendations"}},
		{name: "no key", args: []string{"--url", srv.URL}, wantUsage: true, want: []string{"no API key"}},
		{name: "stray argument", args: []string{"--url", srv.URL, "--key", "secret", "orders"}, wantUsage: true, want: []string{recommendUsage}},
		{name: "unknown flag", args: []string{"--kind", "arm64"}, wantUsage: true, want: []string{"kind"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runRecommend(context.Background(), tc.args, &out, &errOut)
			if err == nil {
				t.Fatalf("got no error; output %q", out.String())
			}
			var ue usageError
			if errors.As(err, &ue) != tc.wantUsage {
				t.Errorf("usage error: got %v, want %v (%v)", errors.As(err, &ue), tc.wantUsage, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if out.Len() > 0 {
				t.Errorf("printed %q on failure", out.String())
			}
		})
	}
}
