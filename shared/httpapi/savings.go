package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/recommend"
	"github.com/fiso-dev/fiso/shared/store"
)

// savingsRow is one group's savings: what FISO's routing cost against what
// the policy's static default would have cost for the same calls.
type savingsRow struct {
	Group       string  `json:"group"`
	Invocations int64   `json:"invocations"`
	CostUSD     float64 `json:"cost_usd"`
	// BaselineUSD is what the calls with a baseline (BaselineCalls of them:
	// every call FISO could price) would have cost on the static default.
	BaselineUSD   float64 `json:"baseline_usd"`
	BaselineCalls int64   `json:"baseline_calls"`
	// SavedUSD is BaselineUSD minus the cost of the same calls.
	SavedUSD float64 `json:"saved_usd"`
	// SavedPercent is SavedUSD as a share of BaselineUSD.
	SavedPercent float64 `json:"saved_percent"`
	// Coverage is the share of calls with a baseline (BaselineCalls /
	// Invocations): the others could not be priced, and count in neither
	// figure.
	Coverage float64 `json:"coverage"`
}

type savingsResponse struct {
	From     string       `json:"from"`
	To       string       `json:"to"`
	GroupBy  string       `json:"group_by"`
	Currency string       `json:"currency"`
	Basis    string       `json:"basis"`
	Rows     []savingsRow `json:"rows"`
	Total    savingsRow   `json:"total"`
}

func savingsOf(row store.CostRow) savingsRow {
	out := savingsRow{
		Group: row.Group, Invocations: row.Invocations, CostUSD: row.CostUSD,
		BaselineUSD: row.BaselineUSD, BaselineCalls: row.BaselineCalls, SavedUSD: row.SavedUSD,
	}
	if row.Invocations > 0 {
		out.Coverage = float64(row.BaselineCalls) / float64(row.Invocations)
	}
	if row.BaselineUSD > 0 {
		out.SavedPercent = 100 * out.SavedUSD / row.BaselineUSD
	}
	return out
}

// getSavings is GET /v1/savings: the cost aggregates' actual and baseline
// figures side by side, per group (function by default).
func (s *Server) getSavings(w http.ResponseWriter, r *http.Request) error {
	cq, err := s.parseCostQuery(r, store.ByFunction)
	if err != nil {
		return err
	}
	rows, err := s.store.CostTotals(r.Context(), cq)
	if err != nil {
		return err
	}
	out := make([]savingsRow, len(rows))
	for i, row := range rows {
		out[i] = savingsOf(row)
	}
	return writeJSON(w, http.StatusOK, savingsResponse{
		From: cq.From.Format(time.DateOnly), To: cq.To.Format(time.DateOnly), GroupBy: string(cq.GroupBy),
		Currency: "USD",
		Basis: "list price of every billed attempt, against the same calls on the policy's static default deployment " +
			"(its predicted cost when FISO routed elsewhere, the actual cost when it did not); monthly free grants not deducted",
		Rows: out, Total: savingsOf(store.Sum("total", rows)),
	})
}

// Bounds of GET /v1/recommendations?window_days=.
const (
	MinRecommendDays = 1
	MaxRecommendDays = 90
)

// getRecommendations is GET /v1/recommendations: the recommend engine over
// this server's store and price book.
func (s *Server) getRecommendations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var (
		vs   fault.Violations
		opts recommend.Options
	)
	for name := range q {
		if name != "window_days" {
			vs.Add(name, "unknown query parameter; use window_days")
		}
	}
	if v := q.Get("window_days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < MinRecommendDays || n > MaxRecommendDays {
			vs.Add("window_days", "must be an integer from %d to %d", MinRecommendDays, MaxRecommendDays)
		}
		opts.Window = time.Duration(n) * 24 * time.Hour
	}
	if err := vs.Err(); err != nil {
		return err
	}
	if s.opts.Prices == nil {
		return fault.NotFound("this control plane has no price book, so it cannot price a recommendation")
	}
	rep, err := recommend.New(s.store, s.opts.Prices, s.store, opts).Recommend(r.Context(), s.opts.Now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
