package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/experiment"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
)

// Experiment report bounds: the window read without since, and how many
// records one report reads (the newest), by default and at most.
const (
	DefaultExperimentWindow  = 7 * 24 * time.Hour
	DefaultExperimentRecords = 20_000
	MaxExperimentRecords     = 200_000
)

// getExperiment reports a policy's calls per split arm from the
// invocation log of its function.
func (s *Server) getExperiment(w http.ResponseWriter, r *http.Request) error {
	name, err := pathName(r, "policy")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	now := s.opts.Now().UTC()
	since, until, limit := now.Add(-DefaultExperimentWindow), now.Add(time.Second), DefaultExperimentRecords
	var vs fault.Violations
	for param := range q {
		switch param {
		case "since", "until", "max_records":
		default:
			vs.Add(param, "unknown query parameter; use since, until or max_records")
		}
	}
	parseWindow(q, &vs, &since, &until)
	if v := q.Get("max_records"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxExperimentRecords {
			vs.Add("max_records", "must be an integer from 1 to %d", MaxExperimentRecords)
		}
		limit = n
	}
	if err := vs.Err(); err != nil {
		return err
	}
	p, err := s.store.GetPolicy(r.Context(), name)
	if err != nil {
		return err
	}
	if msg := catalog.NameProblem("function", p.Function); msg != "" {
		return fault.Conflict("policy %q routes no valid function", name)
	}
	b := experiment.NewBuilder(p.Name, p.Function, since, until)
	lq := invocation.Query{Function: p.Function, Since: since, Until: until, Limit: invocation.MaxLimit}
	read := 0
	for {
		page, err := s.store.ListInvocations(r.Context(), lq)
		if err != nil {
			return err
		}
		for _, rec := range page.Items {
			if read == limit {
				b.Truncated()
				return writeJSON(w, http.StatusOK, b.Report())
			}
			read++
			b.Add(rec)
		}
		if page.Next == nil {
			return writeJSON(w, http.StatusOK, b.Report())
		}
		lq.After = page.Next
	}
}
