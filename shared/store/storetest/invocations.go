package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/fiso-dev/fiso/shared/fault"
	"github.com/fiso-dev/fiso/shared/invocation"
	"github.com/fiso-dev/fiso/shared/store"
)

func testInvocations(t *testing.T, open opener) {
	t.Run("round trip", func(t *testing.T) {
		s := open(t)
		ts := Now().Add(-time.Hour)
		tests := []struct {
			name   string
			change func(r *invocation.Record)
		}{
			{name: "complete record", change: func(*invocation.Record) {}},
			{name: "cold start unknown and no optional figures", change: func(r *invocation.Record) {
				r.ColdStart, r.CostUSD = nil, nil
				r.Decision.Candidates[0] = invocation.Candidate{DeploymentID: "gcp-us-central1", Provider: "gcp", Region: "us-central1", Reason: "default"}
				r.Attempts[1].ColdStart = nil
			}},
			{name: "warm start", change: func(r *invocation.Record) { r.ColdStart = ptr(false) }},
			{name: "failed call without a key", change: func(r *invocation.Record) {
				r.KeyID, r.Team, r.Provider, r.Region, r.DeploymentID, r.UserRegion = "", "", "", "", "", ""
				r.ErrorOccurred, r.StatusCode, r.ResponseSizeBytes = true, 502, 0
				r.Decision = invocation.Decision{Strategy: "static", Reason: "no deployment available", Candidates: []invocation.Candidate{}}
				r.Attempts = []invocation.Attempt{{DeploymentID: "aws-eu-west-1", Provider: "aws", Region: "eu-west-1", StartedAt: ts, Outcome: invocation.Skipped}}
			}},
			{name: "timestamps outside UTC", change: func(r *invocation.Record) {
				zone := time.FixedZone("UTC-3", -3*3600)
				r.Timestamp = time.Date(2031, time.March, 13, 23, 30, 0, 123456789, zone)
				r.Attempts[0].StartedAt = r.Timestamp.Add(time.Nanosecond)
				r.ExpiresAt = r.Timestamp.Add(400 * 24 * time.Hour)
			}},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				in := record(fmt.Sprintf("01JROUNDTRIP%02d", i), "resize", "a1b2c3d4e5f60718", ts)
				tc.change(&in)
				putInvocation(t, s, in)
				got, err := s.GetInvocation(t.Context(), in.ID)
				checkErr(t, "GetInvocation", err, nil)
				diff(t, "GetInvocation", in, got)
				for name, tm := range map[string]time.Time{"Timestamp": got.Timestamp, "ExpiresAt": got.ExpiresAt, "Attempts[0].StartedAt": got.Attempts[0].StartedAt} {
					if tm.Location() != time.UTC {
						t.Errorf("%s: got location %s, want UTC", name, tm.Location())
					}
				}
			})
		}
	})

	t.Run("writing an ID again replaces the record", func(t *testing.T) {
		s := open(t)
		first := record("01JREPLACE", "resize", "a1b2c3d4e5f60718", Now().Add(-time.Minute))
		putInvocation(t, s, first)
		second := first
		second.StatusCode, second.ErrorOccurred, second.CostUSD = 504, true, nil
		second.Attempts = first.Attempts[:1]
		putInvocation(t, s, second)
		got, err := s.GetInvocation(t.Context(), first.ID)
		checkErr(t, "GetInvocation", err, nil)
		diff(t, "GetInvocation", second, got)
		for _, q := range []invocation.Query{
			{Since: Now().Add(-time.Hour), Until: Now()},
			{Function: "resize", Since: Now().Add(-time.Hour), Until: Now()},
			{KeyID: "a1b2c3d4e5f60718", Since: Now().Add(-time.Hour), Until: Now()},
		} {
			page, err := s.ListInvocations(t.Context(), q)
			checkErr(t, "ListInvocations", err, nil)
			diff(t, fmt.Sprintf("ListInvocations(function %q, key %q)", q.Function, q.KeyID), []invocation.Record{second}, page.Items)
		}
	})

	t.Run("get unknown", func(t *testing.T) {
		s := open(t)
		_, err := s.GetInvocation(t.Context(), "01JNOTSTORED")
		checkErr(t, "GetInvocation", err, fault.ErrNotFound)
	})

	t.Run("expiry", func(t *testing.T) {
		s := open(t)
		tests := []struct {
			id        string
			expiresAt time.Time
			live      bool
		}{
			{id: "expired-long-ago", expiresAt: Now().Add(-48 * time.Hour)},
			{id: "expired-just-now", expiresAt: Now().Add(-time.Nanosecond)},
			{id: "expires-now", expiresAt: Now(), live: true},
			{id: "expires-soon", expiresAt: Now().Add(time.Nanosecond), live: true},
			{id: "never-expires", expiresAt: time.Time{}, live: true},
		}
		var want []string
		for i, tc := range tests {
			r := record(tc.id, "resize", "a1b2c3d4e5f60718", Now().Add(-time.Duration(i+1)*time.Minute))
			r.ExpiresAt = tc.expiresAt
			putInvocation(t, s, r)
			if tc.live {
				want = append(want, tc.id)
			}
		}
		for _, tc := range tests {
			t.Run("get "+tc.id, func(t *testing.T) {
				_, err := s.GetInvocation(t.Context(), tc.id)
				if tc.live {
					checkErr(t, "GetInvocation", err, nil)
				} else {
					checkErr(t, "GetInvocation", err, fault.ErrNotFound)
				}
			})
		}
		for _, q := range []invocation.Query{
			{Since: Now().Add(-time.Hour), Until: Now()},
			{Function: "resize", Since: Now().Add(-time.Hour), Until: Now()},
			{KeyID: "a1b2c3d4e5f60718", Since: Now().Add(-time.Hour), Until: Now()},
		} {
			t.Run(fmt.Sprintf("list function %q key %q", q.Function, q.KeyID), func(t *testing.T) {
				got := collect(t, s, q, 2)
				diff(t, "listed IDs", want, names(got, func(r invocation.Record) string { return r.ID }))
			})
		}
	})

	t.Run("query checks", func(t *testing.T) {
		s := open(t)
		since, until := Now().Add(-time.Hour), Now()
		tests := []struct {
			name string
			q    invocation.Query
		}{
			{name: "zero since", q: invocation.Query{Until: until}},
			{name: "zero until", q: invocation.Query{Since: since}},
			{name: "zero since with a function", q: invocation.Query{Function: "resize", Until: until}},
			{name: "limit above the maximum", q: invocation.Query{Since: since, Until: until, Limit: invocation.MaxLimit + 1}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.ListInvocations(t.Context(), tc.q)
				checkErr(t, "ListInvocations", err, fault.ErrInvalid)
			})
		}
		page, err := s.ListInvocations(t.Context(), invocation.Query{Since: since, Until: until, Limit: invocation.MaxLimit})
		checkErr(t, "ListInvocations at the maximum limit", err, nil)
		if len(page.Items) != 0 || page.Next != nil {
			t.Errorf("empty store: got %d items and next %s, want none", len(page.Items), describe(page.Next))
		}
	})

	t.Run("default limit", func(t *testing.T) {
		s := open(t)
		n := invocation.DefaultLimit + 5
		for i := range n {
			putInvocation(t, s, record(fmt.Sprintf("01JDEFAULT%03d", i), "resize", "a1b2c3d4e5f60718", Now().Add(-time.Duration(i)*time.Second)))
		}
		for _, limit := range []int{0, -1} {
			t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
				page, err := s.ListInvocations(t.Context(), invocation.Query{Since: Now().Add(-time.Hour), Until: Now().Add(time.Hour), Limit: limit})
				checkErr(t, "ListInvocations", err, nil)
				if len(page.Items) != invocation.DefaultLimit || page.Next == nil {
					t.Errorf("got %d items and next %s, want %d items and a next position", len(page.Items), describe(page.Next), invocation.DefaultLimit)
				}
			})
		}
	})
}

// collect pages through a listing with the given page size, checking every
// page: never more than the limit, Next is the position of the page's last
// item, and a page after one with Next is never empty (stores look one item
// ahead instead of promising more than they have).
func collect(t *testing.T, s store.Invocations, q invocation.Query, limit int) []invocation.Record {
	t.Helper()
	q.Limit = limit
	var all []invocation.Record
	for n := 0; ; n++ {
		if n > 200 {
			t.Fatalf("listing did not end after %d pages", n)
		}
		page, err := s.ListInvocations(t.Context(), q)
		if err != nil {
			t.Fatalf("ListInvocations page %d: %v", n, err)
		}
		if len(page.Items) > limit {
			t.Fatalf("page %d: got %d items, want at most %d", n, len(page.Items), limit)
		}
		if n > 0 && len(page.Items) == 0 {
			t.Fatalf("page %d is empty although the page before it had Next %s", n, describe(q.After))
		}
		all = append(all, page.Items...)
		if page.Next == nil {
			return all
		}
		if len(page.Items) == 0 {
			t.Fatalf("page %d: empty page with Next %s", n, describe(page.Next))
		}
		last := invocation.PositionOf(page.Items[len(page.Items)-1])
		if page.Next.Function != last.Function || page.Next.ID != last.ID || !page.Next.Time.Equal(last.Time) {
			t.Fatalf("page %d: Next is %s, want the last item's position %s", n, describe(page.Next), describe(&last))
		}
		q.After = page.Next
	}
}
