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
		hours, err := s.HourlyCosts(t.Context(), store.ByFunction, "hot", day, day.AddDate(0, 0, 1))
		checkErr(t, "HourlyCosts", err, nil)
		checkHours(t, "after concurrent writes", hours, []store.HourlyCost{{Hour: at(0, 12), CostUSD: n * 0.000001, Invocations: n}})
	})

	t.Run("key, region and tag dimensions with failover across regions", func(t *testing.T) { testCostDimensions(t, open, day) })
	t.Run("hourly spend", func(t *testing.T) { testHourlyCosts(t, open) })

	t.Run("bad queries", func(t *testing.T) {
		s := open(t)
		for name, q := range map[string]store.CostQuery{
			"unknown dimension": {From: day, To: day.AddDate(0, 0, 1), GroupBy: "country"},
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
		if g.Group != w.Group || g.Invocations != w.Invocations || g.Errors != w.Errors || g.Unpriced != w.Unpriced || math.Abs(g.CostUSD-w.CostUSD) > 1e-15 ||
			g.BaselineCalls != w.BaselineCalls || math.Abs(g.BaselineUSD-w.BaselineUSD) > 1e-15 {
			t.Errorf("%s row %d: got %+v, want %+v", what, i, g, w)
		}
	}
}

func checkHours(t *testing.T, what string, got, want []store.HourlyCost) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d hours %+v, want %+v", what, len(got), got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Hour.Equal(w.Hour) || g.Hour.Location() != time.UTC || g.Invocations != w.Invocations || math.Abs(g.CostUSD-w.CostUSD) > 1e-15 {
			t.Errorf("%s hour %d: got %+v, want %+v", what, i, g, w)
		}
	}
}

// regionRecord is a priced call answered by one deployment.
func regionRecord(id, keyID string, p catalog.Provider, region string, ts time.Time, cost float64, tags map[string]string) invocation.Record {
	r := costRecord(id, "checkout", "shop", p, ts, ptr(cost), false)
	r.KeyID, r.Region, r.Tags = keyID, region, tags
	r.Attempts[0].Region = region
	return r
}

func testCostDimensions(t *testing.T, open opener, day time.Time) {
	s := open(t)
	ts := day.Add(9 * time.Hour)
	k1 := regionRecord("d1", "key-a", catalog.AWS, "us-east-1", ts, 0.000001, map[string]string{"env": "prod", "app": "checkout"})
	k1.BaselineCostUSD = ptr(0.000002)
	// A failover across regions and clouds: billed in us-east-1 (function
	// error), timed out unbilled in eu-west-1, answered in europe-west1.
	k2 := regionRecord("d2", "key-b", catalog.GCP, "europe-west1", ts, 0.000003, map[string]string{"env": "prod"})
	k2.Attempts = []invocation.Attempt{
		{Provider: catalog.AWS, Region: "us-east-1", Outcome: invocation.Failed, CostUSD: ptr(0.000001)},
		{Provider: catalog.AWS, Region: "eu-west-1", Outcome: invocation.Timeout},
		{Provider: catalog.GCP, Region: "europe-west1", Outcome: invocation.OK, CostUSD: ptr(0.000002)},
	}
	k2.BaselineCostUSD = ptr(0.000004)
	// No API key, no tags, unpriced and failed.
	k3 := costRecord("d3", "checkout", "shop", catalog.Azure, ts, nil, true)
	k3.KeyID, k3.Region = "", "westeurope"
	// Three tags: counted under three tag groups; no baseline.
	k4 := regionRecord("d4", "key-a", catalog.AWS, "us-east-1", ts, 0.000005, map[string]string{"env": "staging", "app": "checkout", "tier": "web"})
	// A baseline of nothing is a baseline all the same.
	k5 := regionRecord("d5", "key-b", catalog.AWS, "us-east-1", day.Add(-time.Hour), 0.000001, nil)
	k5.BaselineCostUSD = ptr(0.0)
	for _, r := range []invocation.Record{k1, k2, k3, k4, k5} {
		checkErr(t, "PutInvocation "+r.ID, s.PutInvocation(t.Context(), r), nil)
	}
	// Rewriting a record replaces it without counting it again.
	checkErr(t, "PutInvocation again", s.PutInvocation(t.Context(), k2), nil)

	got, err := s.GetInvocation(t.Context(), k1.ID)
	checkErr(t, "GetInvocation", err, nil)
	diff(t, "tags read back", k1.Tags, got.Tags)
	if got.BaselineCostUSD == nil || *got.BaselineCostUSD != *k1.BaselineCostUSD {
		t.Errorf("baseline_cost_usd read back: got %v, want %v", got.BaselineCostUSD, *k1.BaselineCostUSD)
	}

	q := func(g store.Dimension, from time.Time) []store.CostRow {
		rows, err := s.CostTotals(t.Context(), store.CostQuery{From: from, To: day.AddDate(0, 0, 1), GroupBy: g})
		checkErr(t, "CostTotals("+string(g)+")", err, nil)
		return rows
	}
	checkRows(t, "key", q(store.ByKey, day), []store.CostRow{
		{Group: store.NoKey, Invocations: 1, Errors: 1, Unpriced: 1},
		{Group: "key-a", CostUSD: 0.000006, Invocations: 2, BaselineUSD: 0.000002, BaselineCalls: 1},
		{Group: "key-b", CostUSD: 0.000003, Invocations: 1, BaselineUSD: 0.000004, BaselineCalls: 1},
	})
	// eu-west-1 billed nothing and did not answer: it has no row.
	checkRows(t, "region", q(store.ByRegion, day), []store.CostRow{
		{Group: "europe-west1", CostUSD: 0.000002, Invocations: 1, BaselineUSD: 0.000004, BaselineCalls: 1},
		{Group: "us-east-1", CostUSD: 0.000001 + 0.000001 + 0.000005, Invocations: 2, BaselineUSD: 0.000002, BaselineCalls: 1},
		{Group: "westeurope", Invocations: 1, Errors: 1, Unpriced: 1},
	})
	checkRows(t, "provider", q(store.ByProvider, day), []store.CostRow{
		{Group: "aws", CostUSD: 0.000007, Invocations: 2, BaselineUSD: 0.000002, BaselineCalls: 1},
		{Group: "azure", Invocations: 1, Errors: 1, Unpriced: 1},
		{Group: "gcp", CostUSD: 0.000002, Invocations: 1, BaselineUSD: 0.000004, BaselineCalls: 1},
	})
	checkRows(t, "tag", q(store.ByTag, day), []store.CostRow{
		{Group: "app=checkout", CostUSD: 0.000006, Invocations: 2, BaselineUSD: 0.000002, BaselineCalls: 1},
		{Group: "env=prod", CostUSD: 0.000004, Invocations: 2, BaselineUSD: 0.000006, BaselineCalls: 2},
		{Group: "env=staging", CostUSD: 0.000005, Invocations: 1},
		{Group: "tier=web", CostUSD: 0.000005, Invocations: 1},
	})
	all := store.CostRow{CostUSD: 0.000009, Invocations: 4, Errors: 1, Unpriced: 1, BaselineUSD: 0.000006, BaselineCalls: 2}
	for _, g := range []store.Dimension{store.ByFunction, store.ByTeam, store.ByDay} {
		want := all
		want.Group = map[store.Dimension]string{store.ByFunction: "checkout", store.ByTeam: "shop", store.ByDay: "2031-01-30"}[g]
		checkRows(t, string(g), q(g, day), []store.CostRow{want})
	}
	// The day before holds k5 alone, with its zero baseline.
	checkRows(t, "key over two days", q(store.ByKey, day.AddDate(0, 0, -1)), []store.CostRow{
		{Group: store.NoKey, Invocations: 1, Errors: 1, Unpriced: 1},
		{Group: "key-a", CostUSD: 0.000006, Invocations: 2, BaselineUSD: 0.000002, BaselineCalls: 1},
		{Group: "key-b", CostUSD: 0.000004, Invocations: 2, BaselineUSD: 0.000004, BaselineCalls: 2},
	})
	checkRows(t, "day over two days", q(store.ByDay, day.AddDate(0, 0, -1)), []store.CostRow{
		{Group: "2031-01-29", CostUSD: 0.000001, Invocations: 1, BaselineCalls: 1},
		func() store.CostRow { r := all; r.Group = "2031-01-30"; return r }(),
	})
}

func testHourlyCosts(t *testing.T, open opener) {
	h := func(s string) time.Time {
		t.Helper()
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	s := open(t)
	recs := []invocation.Record{
		costRecord("h1", "hot", "ops", catalog.AWS, h("2031-01-31T23:10:00Z"), ptr(0.000001), false),
		costRecord("h2", "hot", "ops", catalog.GCP, h("2031-01-31T23:59:59.999Z"), ptr(0.000002), true),
		costRecord("h3", "hot", "", catalog.AWS, h("2031-02-01T00:00:00Z"), ptr(0.000003), false),
		costRecord("h4", "hot", "", catalog.Azure, h("2031-02-01T05:30:00Z"), nil, false), // unpriced: counted, costs nothing
		costRecord("h5", "cold", "ops", catalog.AWS, h("2031-02-01T00:30:00Z"), ptr(0.000004), false),
		// Across the end of a year.
		costRecord("h6", "hot", "ops", catalog.AWS, h("2031-12-31T23:45:00Z"), ptr(0.000006), false),
		costRecord("h7", "hot", "ops", catalog.AWS, h("2032-01-01T00:15:00Z"), ptr(0.000007), false),
	}
	for _, r := range recs {
		checkErr(t, "PutInvocation "+r.ID, s.PutInvocation(t.Context(), r), nil)
	}
	checkErr(t, "PutInvocation again", s.PutInvocation(t.Context(), recs[0]), nil)

	for _, tc := range []struct {
		name     string
		dim      store.Dimension
		value    string
		from, to time.Time
		want     []store.HourlyCost
	}{
		{"function across midnight and a month end", store.ByFunction, "hot", h("2031-01-31T00:00:00Z"), h("2031-02-02T00:00:00Z"), []store.HourlyCost{
			{Hour: h("2031-01-31T23:00:00Z"), CostUSD: 0.000003, Invocations: 2},
			{Hour: h("2031-02-01T00:00:00Z"), CostUSD: 0.000003, Invocations: 1},
			{Hour: h("2031-02-01T05:00:00Z"), Invocations: 1},
		}},
		{"team", store.ByTeam, "ops", h("2031-01-31T00:00:00Z"), h("2031-02-02T00:00:00Z"), []store.HourlyCost{
			{Hour: h("2031-01-31T23:00:00Z"), CostUSD: 0.000003, Invocations: 2},
			{Hour: h("2031-02-01T00:00:00Z"), CostUSD: 0.000004, Invocations: 1},
		}},
		{"no team", store.ByTeam, store.NoTeam, h("2031-01-31T00:00:00Z"), h("2031-02-02T00:00:00Z"), []store.HourlyCost{
			{Hour: h("2031-02-01T00:00:00Z"), CostUSD: 0.000003, Invocations: 1},
			{Hour: h("2031-02-01T05:00:00Z"), Invocations: 1},
		}},
		{"every call", store.ByDay, store.AllCalls, h("2031-01-31T00:00:00Z"), h("2031-02-02T00:00:00Z"), []store.HourlyCost{
			{Hour: h("2031-01-31T23:00:00Z"), CostUSD: 0.000003, Invocations: 2},
			{Hour: h("2031-02-01T00:00:00Z"), CostUSD: 0.000007, Invocations: 2},
			{Hour: h("2031-02-01T05:00:00Z"), Invocations: 1},
		}},
		{"from and to truncated to hours", store.ByFunction, "hot", h("2031-01-31T23:59:00Z"), h("2031-02-01T05:59:00Z"), []store.HourlyCost{
			{Hour: h("2031-01-31T23:00:00Z"), CostUSD: 0.000003, Invocations: 2},
			{Hour: h("2031-02-01T00:00:00Z"), CostUSD: 0.000003, Invocations: 1},
		}},
		{"one hour, in another zone", store.ByFunction, "hot", h("2031-02-01T05:30:00+05:30"), h("2031-02-01T06:30:00+05:30"), []store.HourlyCost{
			{Hour: h("2031-02-01T00:00:00Z"), CostUSD: 0.000003, Invocations: 1},
		}},
		{"across a year end", store.ByFunction, "hot", h("2031-12-01T00:00:00Z"), h("2032-01-31T00:00:00Z"), []store.HourlyCost{
			{Hour: h("2031-12-31T23:00:00Z"), CostUSD: 0.000006, Invocations: 1},
			{Hour: h("2032-01-01T00:00:00Z"), CostUSD: 0.000007, Invocations: 1},
		}},
		{"the longest range", store.ByTeam, "ops", h("2031-12-01T00:00:00Z"), h("2031-12-01T00:00:00Z").AddDate(0, 0, store.MaxHourlyDays), []store.HourlyCost{
			{Hour: h("2031-12-31T23:00:00Z"), CostUSD: 0.000006, Invocations: 1},
			{Hour: h("2032-01-01T00:00:00Z"), CostUSD: 0.000007, Invocations: 1},
		}},
		{"nothing counted", store.ByFunction, "hot", h("2031-01-01T00:00:00Z"), h("2031-01-31T23:00:00Z"), nil},
		{"unknown value", store.ByFunction, "nope", h("2031-01-31T00:00:00Z"), h("2031-02-02T00:00:00Z"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.HourlyCosts(t.Context(), tc.dim, tc.value, tc.from, tc.to)
			checkErr(t, "HourlyCosts", err, nil)
			checkHours(t, tc.name, got, tc.want)
		})
	}

	t.Run("bad ranges", func(t *testing.T) {
		from := h("2031-01-31T00:00:00Z")
		for _, tc := range []struct {
			name     string
			dim      store.Dimension
			value    string
			from, to time.Time
		}{
			{"no hourly counters", store.ByProvider, "aws", from, from.Add(time.Hour)},
			{"tag", store.ByTag, "env=prod", from, from.Add(time.Hour)},
			{"unknown dimension", "country", "fr", from, from.Add(time.Hour)},
			{"no value", store.ByFunction, "", from, from.Add(time.Hour)},
			{"empty", store.ByFunction, "hot", from, from},
			{"within one hour", store.ByFunction, "hot", from.Add(time.Minute), from.Add(59 * time.Minute)},
			{"reversed", store.ByFunction, "hot", from, from.Add(-time.Hour)},
			{"too long", store.ByFunction, "hot", from, from.AddDate(0, 0, store.MaxHourlyDays).Add(time.Hour)},
		} {
			_, err := s.HourlyCosts(t.Context(), tc.dim, tc.value, tc.from, tc.to)
			checkErr(t, "HourlyCosts: "+tc.name, err, fault.ErrInvalid)
		}
	})
}
