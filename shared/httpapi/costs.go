package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/pricing"
	"github.com/fiso-dev/fiso/shared/store"
)

// PriceBook lists the rate cards in force.
type PriceBook interface {
	Cards(ctx context.Context) (map[pricing.Key]pricing.Card, error)
}

// HeaderCostUSD carries an invocation's list-price cost.
const HeaderCostUSD = "X-Fiso-Cost-Usd"

func formatUSD(v float64) string { return strconv.FormatFloat(v, 'f', 12, 64) }

func (s *Server) listPrices(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var vs fault.Violations
	for name := range q {
		switch name {
		case "provider", "region", "plan", "arch":
		default:
			vs.Add(name, "unknown query parameter; use provider, region, plan or arch")
		}
	}
	provider := catalog.Provider(q.Get("provider"))
	if provider != "" && !provider.Valid() {
		vs.Add("provider", "%q is not one of aws, azure, gcp", provider)
	}
	if err := vs.Err(); err != nil {
		return err
	}
	if s.opts.Prices == nil {
		return fault.NotFound("this control plane has no price book")
	}
	cards, err := s.opts.Prices.Cards(r.Context())
	if err != nil {
		return err
	}
	out := make([]pricing.Card, 0, len(cards))
	for _, c := range cards {
		if (provider == "" || c.Provider == provider) && matches(q.Get("region"), c.Region) &&
			matches(q.Get("plan"), string(c.Plan)) && matches(q.Get("arch"), string(c.Arch)) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b pricing.Card) int { return strings.Compare(a.KeyOf().String(), b.KeyOf().String()) })
	return writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func matches(filter, v string) bool { return filter == "" || filter == v }

type costsResponse struct {
	From     string          `json:"from"`
	To       string          `json:"to"`
	GroupBy  string          `json:"group_by"`
	Currency string          `json:"currency"`
	Basis    string          `json:"basis"`
	Rows     []store.CostRow `json:"rows"`
	Total    store.CostRow   `json:"total"`
}

// parseDay accepts a date (2026-11-01) or an RFC 3339 time, as a UTC day.
func parseDay(v string) (time.Time, bool) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return store.Day(t), true
	}
	return time.Time{}, false
}

// parseCostQuery reads from, to (dates; default: this month so far) and
// group_by (default def), rejecting any other parameter.
func (s *Server) parseCostQuery(r *http.Request, def store.Dimension) (store.CostQuery, error) {
	q := r.URL.Query()
	now := store.Day(s.opts.Now())
	cq := store.CostQuery{
		From:    time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC),
		To:      now.AddDate(0, 0, 1),
		GroupBy: store.Dimension(q.Get("group_by")),
	}
	if cq.GroupBy == "" {
		cq.GroupBy = def
	}
	var vs fault.Violations
	for name := range q {
		switch name {
		case "from", "to", "group_by":
		default:
			vs.Add(name, "unknown query parameter; use from, to or group_by")
		}
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &cq.From}, {"to", &cq.To}} {
		if v := q.Get(p.name); v != "" {
			d, ok := parseDay(v)
			if !ok {
				vs.Add(p.name, "must be a date such as 2026-11-01 (or an RFC 3339 time)")
				continue
			}
			*p.dst = d
		}
	}
	return cq, vs.Err()
}

func (s *Server) getCosts(w http.ResponseWriter, r *http.Request) error {
	cq, err := s.parseCostQuery(r, store.ByProvider)
	if err != nil {
		return err
	}
	rows, err := s.store.CostTotals(r.Context(), cq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, costsResponse{
		From: cq.From.Format(time.DateOnly), To: cq.To.Format(time.DateOnly), GroupBy: string(cq.GroupBy),
		Currency: "USD", Basis: "list price of every billed attempt; monthly free grants not deducted",
		Rows: nonNil(rows), Total: store.Sum("total", rows),
	})
}
