package storetest

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/catalog"
	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/store"
)

// costRecord is a minimal record for aggregate tests: cost nil means unpriced.
func costRecord(id, fn, team string, p catalog.Provider, ts time.Time, cost *float64, failed bool) invocation.Record {
	r := invocation.Record{ID: id, FunctionName: fn, Team: team, Provider: p, Timestamp: ts, KeyID: "0123456789abcdef", ErrorOccurred: failed, CostUSD: cost}
	if cost != nil {
		r.Attempts = []invocation.Attempt{{DeploymentID: string(p), Provider: p, Outcome: invocation.OK, CostUSD: cost}}
	}
	return r
}

func testCosts(t *testing.T, open opener) {
	day := time.Date(2031, time.January, 30, 0, 0, 0, 0, time.UTC)
	at := func(days int, hour int) time.Time {
		return day.AddDate(0, 0, days).Add(time.Duration(hour) * time.Hour)
	}

	t.Run("aggregates by every dimension", func(t *testing.T) {
		s := open(t)
		recs := []invocation.Record{
			costRecord("a1", "resize", "imaging", catalog.AWS, at(0, 1), ptr(0.0000002083), false),
			costRecord("a2", "resize", "imaging", catalog.AWS, at(0, 23), ptr(0.0000002083), true),
			costRecord("a3", "resize", "", catalog.GCP, at(1, 0), ptr(0.000001), false),
			costRecord("a4", "thumb", "imaging", catalog.Azure, at(2, 5), nil, false),  // Feb 1st: across a month boundary
			costRecord("a5", "thumb", "web", catalog.Azure, at(5, 0), ptr(1.0), false), // outside the queried days
		}
		// A failover: billed on aws (function error) and answered by gcp.
		fo := costRecord("a6", "thumb", "web", catalog.GCP, at(1, 2), ptr(0.000003), false)
		fo.Attempts = []invocation.Attempt{
			{Provider: catalog.AWS, Outcome: invocation.Failed, CostUSD: ptr(0.000001)},
			{Provider: catalog.GCP, Outcome: invocation.OK, CostUSD: ptr(0.000002)},
		}
		recs = append(recs, fo)
		for _, r := range recs {
			checkErr(t, "PutInvocation", s.PutInvocation(t.Context(), r), nil)
		}
		// Rewriting a record replaces it without counting it again.
		checkErr(t, "PutInvocation again", s.PutInvocation(t.Context(), recs[0]), nil)

		q := func(g store.Dimension) []store.CostRow {
			rows, err := s.CostTotals(t.Context(), store.CostQuery{From: day, To: day.AddDate(0, 0, 3), GroupBy: g})
			checkErr(t, "CostTotals("+string(g)+")", err, nil)
			return rows
		}
		checkRows(t, "provider", q(store.ByProvider), []store.CostRow{
			{Group: "aws", CostUSD: 0.0000004166 + 0.000001, Invocations: 2, Errors: 1},
			{Group: "azure", Invocations: 1, Unpriced: 1},
			{Group: "gcp", CostUSD: 0.000001 + 0.000002, Invocations: 2},
		})
		checkRows(t, "function", q(store.ByFunction), []store.CostRow{
			{Group: "resize", CostUSD: 0.0000004166 + 0.000001, Invocations: 3, Errors: 1},
			{Group: "thumb", CostUSD: 0.000003, Invocations: 2, Unpriced: 1},
		})
		checkRows(t, "team", q(store.ByTeam), []store.CostRow{
			{Group: store.NoTeam, CostUSD: 0.000001, Invocations: 1},
			{Group: "imaging", CostUSD: 0.0000004166, Invocations: 3, Errors: 1, Unpriced: 1},
			{Group: "web", CostUSD: 0.000003, Invocations: 1},
		})
		checkRows(t, "day", q(store.ByDay), []store.CostRow{
			{Group: "2031-01-30", CostUSD: 0.0000004166, Invocations: 2, Errors: 1},
			{Group: "2031-01-31", CostUSD: 0.000004, Invocations: 2},
			{Group: "2031-02-01", Invocations: 1, Unpriced: 1},
		})
	})

	t.Run("a lower-bound cost counts and is flagged unpriced", func(t *testing.T) {
		s := open(t)
		r := costRecord("p1", "f", "t", catalog.AWS, at(0, 1), ptr(0.000002), false)
		r.Unpriced = true // another attempt was billed but could not be priced
		none := costRecord("p2", "f", "t", "", at(0, 2), ptr(0.0), true)
		none.Attempts = nil // no deployment was tried
		for _, rec := range []invocation.Record{r, none} {
			checkErr(t, "PutInvocation", s.PutInvocation(t.Context(), rec), nil)
		}
		rows, err := s.CostTotals(t.Context(), store.CostQuery{From: day, To: day.AddDate(0, 0, 1), GroupBy: store.ByProvider})
		checkErr(t, "CostTotals", err, nil)
		checkRows(t, "by provider", rows, []store.CostRow{
			{Group: store.NoProvider, Invocations: 1, Errors: 1},
			{Group: "aws", CostUSD: 0.000002, Invocations: 1, Unpriced: 1},
		})
	})

	t.Run("concurrent invocations all count", func(t *testing.T) {
		s := open(t)
		const n = 40
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := costRecord("c"+string(rune('A'+i%26))+string(rune('a'+i/26)), "hot", "t", catalog.AWS, at(0, 12), ptr(0.000001), false)
				if err := s.PutInvocation(t.Context(), r); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		rows, err := s.CostTotals(t.Context(), store.CostQuery{From: day, To: day.AddDate(0, 0, 1), GroupBy: store.ByFunction})
		checkErr(t, "CostTotals", err, nil)
		checkRows(t, "after concurrent writes", rows, []store.CostRow{{Group: "hot", CostUSD: n * 0.000001, Invocations: n}})
	})

	t.Run("bad queries", func(t *testing.T) {
		s := open(t)
		for name, q := range map[string]store.CostQuery{
			"unknown dimension": {From: day, To: day.AddDate(0, 0, 1), GroupBy: "region"},
			"empty range":       {From: day, To: day, GroupBy: store.ByDay},
			"too long":          {From: day, To: day.AddDate(2, 0, 0), GroupBy: store.ByDay},
		} {
			_, err := s.CostTotals(t.Context(), q)
			checkErr(t, "CostTotals: "+name, err, fault.ErrInvalid)
		}
	})
}

func checkRows(t *testing.T, what string, got, want []store.CostRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d rows %+v, want %+v", what, len(got), got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Group != w.Group || g.Invocations != w.Invocations || g.Errors != w.Errors || g.Unpriced != w.Unpriced || math.Abs(g.CostUSD-w.CostUSD) > 1e-15 {
			t.Errorf("%s row %d: got %+v, want %+v", what, i, g, w)
		}
	}
}
