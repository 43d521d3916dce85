package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/fiso-dev/fiso/shared/budget"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/store"
)

// BudgetCache is told when a budget changes through this API, so that
// this instance enforces the change at once (others within their cache
// TTL).
type BudgetCache interface{ Forget() }

type budgetBody struct {
	Scope      budget.Scope    `json:"scope"`
	ID         string          `json:"id"`
	Period     budget.Period   `json:"period"`
	LimitUSD   float64         `json:"limit_usd"`
	Thresholds []float64       `json:"thresholds"`
	Version    int64           `json:"version"`
	CreatedAt  json.RawMessage `json:"created_at"`
	UpdatedAt  json.RawMessage `json:"updated_at"`
	Usage      json.RawMessage `json:"usage"`
}

// budgetRef reads {scope}/{id} from the path.
func budgetRef(r *http.Request) (budget.Ref, error) {
	ref := budget.Ref{Scope: budget.Scope(r.PathValue("scope")), ID: r.PathValue("id")}
	if !ref.Scope.Valid() {
		return ref, fault.Invalid("scope", "%q is not one of global, team, function, key", ref.Scope)
	}
	b := budget.Budget{Scope: ref.Scope, ID: ref.ID, Period: budget.Month, LimitUSD: 1}
	b.Normalize()
	if err := b.Validate(); err != nil {
		return ref, err
	}
	return ref, nil
}

// budgetView is a budget with its state in the current period.
type budgetView struct {
	budget.Budget
	Usage usageView `json:"usage"`
}

// usageView is budget.Usage without the budget, shown once at the top.
type usageView struct {
	Period       string    `json:"period"`
	PeriodStart  time.Time `json:"period_start"`
	PeriodEnd    time.Time `json:"period_end"`
	SpentUSD     float64   `json:"spent_usd"`
	ReservedUSD  float64   `json:"reserved_usd"`
	RemainingUSD float64   `json:"remaining_usd"`
}

func (s *Server) views(ctx context.Context, bs []budget.Budget) ([]budgetView, error) {
	usage, err := s.store.BudgetUsage(ctx, bs, s.opts.Now())
	if err != nil {
		return nil, err
	}
	out := make([]budgetView, len(bs))
	for i, b := range bs {
		u := usage[i]
		out[i] = budgetView{Budget: b, Usage: usageView{Period: u.Period, PeriodStart: u.PeriodStart, PeriodEnd: u.PeriodEnd,
			SpentUSD: u.SpentUSD, ReservedUSD: u.ReservedUSD, RemainingUSD: u.RemainingUSD}}
	}
	return out, nil
}

func (s *Server) listBudgets(w http.ResponseWriter, r *http.Request) error {
	bs, err := s.store.ListBudgets(r.Context())
	if err != nil {
		return err
	}
	vs, err := s.views(r.Context(), bs)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(vs)})
}

func (s *Server) getBudget(w http.ResponseWriter, r *http.Request) error {
	ref, err := budgetRef(r)
	if err != nil {
		return err
	}
	b, err := s.store.GetBudget(r.Context(), ref)
	if err != nil {
		return err
	}
	vs, err := s.views(r.Context(), []budget.Budget{b})
	if err != nil {
		return err
	}
	setETag(w, b.Version)
	return writeJSON(w, http.StatusOK, vs[0])
}

func (s *Server) putBudget(w http.ResponseWriter, r *http.Request) error {
	ref, err := budgetRef(r)
	if err != nil {
		return err
	}
	var body budgetBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if (body.Scope != "" && body.Scope != ref.Scope) || (body.ID != "" && body.ID != ref.ID) {
		return fault.Invalid("id", "the body names budget %s/%s but the path names %s; they must match (or leave them out of the body)", body.Scope, body.ID, ref)
	}
	expect, err := expectedVersion(r, body.Version)
	if err != nil {
		return err
	}
	b := budget.Budget{Scope: ref.Scope, ID: ref.ID, Period: body.Period, LimitUSD: body.LimitUSD, Thresholds: body.Thresholds, UpdatedAt: s.opts.Now().UTC()}
	b.Normalize()
	if err := b.Validate(); err != nil {
		return err
	}
	stored, created, err := s.store.PutBudget(r.Context(), b, expect)
	if err != nil {
		return err
	}
	if s.opts.Budgets != nil {
		s.opts.Budgets.Forget()
	}
	return writePut(w, "/v1/budgets/"+string(ref.Scope)+"/"+url.PathEscape(ref.ID), stored.Version, created, stored)
}

func (s *Server) deleteBudget(w http.ResponseWriter, r *http.Request) error {
	ref, err := budgetRef(r)
	if err != nil {
		return err
	}
	expect, err := expectedVersion(r, store.AnyVersion)
	if err != nil {
		return err
	}
	if err := s.store.DeleteBudget(r.Context(), ref, expect); err != nil {
		return err
	}
	if s.opts.Budgets != nil {
		s.opts.Budgets.Forget()
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Listing bounds of alerts and anomalies.
const (
	DefaultFeedWindow = 30 * 24 * time.Hour
	DefaultFeedLimit  = 100
	MaxFeedLimit      = 1000
)

// parseFeed reads since (RFC 3339; default 30 days ago) and limit.
func (s *Server) parseFeed(r *http.Request) (time.Time, int, error) {
	q := r.URL.Query()
	since, limit := s.opts.Now().UTC().Add(-DefaultFeedWindow), DefaultFeedLimit
	var vs fault.Violations
	for name := range q {
		if name != "since" && name != "limit" {
			vs.Add(name, "unknown query parameter; use since or limit")
		}
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			vs.Add("since", "must be an RFC 3339 time such as 2026-11-26T09:00:00Z")
		}
		since = t.UTC()
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxFeedLimit {
			vs.Add("limit", "must be an integer from 1 to %d", MaxFeedLimit)
		}
		limit = n
	}
	return since, limit, vs.Err()
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) error {
	since, limit, err := s.parseFeed(r)
	if err != nil {
		return err
	}
	as, err := s.store.ListAlerts(r.Context(), since, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(as)})
}

func (s *Server) listAnomalies(w http.ResponseWriter, r *http.Request) error {
	since, limit, err := s.parseFeed(r)
	if err != nil {
		return err
	}
	as, err := s.store.ListAnomalies(r.Context(), since, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(as)})
}
